// Signs or verifies Standard Webhooks cases with the npm `standardwebhooks` library.
// Usage: node standardwebhooks_js.mjs sign|verify  (JSON list of cases on stdin, JSON list out)
import { Webhook } from "standardwebhooks";

const mode = process.argv[2];
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map((c) => {
  const wh = new Webhook(c.secret);
  if (mode === "sign") return wh.sign(c.id, new Date(c.timestamp * 1000), c.body);
  try {
    wh.verify(c.body, {
      "webhook-id": c.id,
      "webhook-timestamp": String(c.timestamp),
      "webhook-signature": c.signature,
    }, { jsonParse: false });
    return true;
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
});
process.stdout.write(JSON.stringify(out));
