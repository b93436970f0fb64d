// The deployed rule, evaluated by JavaScript itself (tests/code/test_user_code_js_parity.cpp).
//   node js_user_code_oracle.mjs parse FILE     one result per line of FILE: the match, or "-"
//   node js_user_code_oracle.mjs ascii-lowercase
//     the non-ASCII code points (hex) whose toLowerCase() contains [a-z0-9]
import { readFileSync } from "node:fs";

const [mode, file] = process.argv.slice(2);
if (mode === "parse") {
  // Read as UTF-8: ill-formed bytes become U+FFFD, as they would reaching a JavaScript string.
  const lines = readFileSync(file, "utf8").split("\n");
  lines.pop(); // the file ends with a newline
  const out = lines.map((text) => text.toLowerCase().match(/ac[0-9]{2}[a-z]{5}/)?.[0] ?? "-");
  process.stdout.write(out.join("\n") + "\n");
} else if (mode === "ascii-lowercase") {
  const found = [];
  for (let cp = 0x80; cp <= 0x10ffff; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (/[a-z0-9]/.test(String.fromCodePoint(cp).toLowerCase())) found.push(cp.toString(16));
  }
  process.stdout.write(found.join("\n") + "\n");
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(64);
}
