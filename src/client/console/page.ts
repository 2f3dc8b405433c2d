// The console's page: a static shell (the same bytes for every request but the nonce), its
// CSS and its script (pageScript.ts). It carries no data: the script fetches everything from
// the JSON API with the operator's token and builds the DOM with textContent.
import { escapeHtml, jsonForScript } from "./escape.js";
import { CONSOLE_SCRIPT } from "./pageScript.js";
import { CONSOLE_STYLE } from "./pageStyle.js";

export function renderConsolePage({ prefix, nonce }: { prefix: string; nonce: string }): string {
  const config = { prefix, pollMs: 2000 };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Workflow console</title>
<style nonce="${escapeHtml(nonce)}">${CONSOLE_STYLE}</style>
</head>
<body>
<header>
  <h1><a href="#/">Workflow console</a></h1>
  <div id="counts"></div>
  <div id="status"></div>
  <button id="signout" type="button" hidden>Forget token</button>
</header>
<div id="msg" role="status"></div>
<main id="view"></main>
<script type="application/json" id="console-config">${jsonForScript(config)}</script>
<script nonce="${escapeHtml(nonce)}">${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
}
