// The research sample's LLM worker: joins queue group `llm` on topic `jobs/llm` and
// answers every job with a deterministic fake model (no network, no weights). A job
// that asks for a stream has its text streamed, word by word, to the job's `stream_to`
// as text-start / text-delta / text-end parts under a stream id of its own run,
// `<corr>/<attempt>.<nonce>` (after a node crash an attempt number may repeat), so a
// browser drops a half-finished stream when a redelivered job starts a new one.
//
//   node worker.js [ws://127.0.0.1:7400/ws]
// SLOW_MS (env) pauses between streamed words (default 30).

const WebSocket = require("ws");

const url = process.argv[2] || "ws://127.0.0.1:7400/ws";
const slowMs = Number(process.env.SLOW_MS || 30);
let nextId = 0;

/// The fake model: the same input always gives the same output.
function model(req) {
  const common = new Set(["and", "the", "for", "with", "compare", "what", "which", "how", "why", "between"]);
  const words = req.user.split(/[\s,?.]+/).filter((w) => w.length > 2 && !common.has(w.toLowerCase()));
  if (req.system.startsWith("Split")) {
    const topics = words.length ? words.slice(0, 3) : ["the question"];
    return { text: "", items: topics.map((w) => `What matters about ${w}?`) };
  }
  if (req.system.startsWith("Answer")) {
    return { text: `${req.user.replace(/\?$/, "")}: it depends on the workload [1].`, items: [] };
  }
  const notes = req.user.split("\n").slice(1).map((l) => l.replace(/^- /, ""));
  const text = `Report on "${req.user.split("\n")[0]}". ` +
    notes.map((n, i) => `(${i + 1}) ${n}`).join(" ") + " In short: measure before choosing.";
  return { text, items: [] };
}

function connect() {
  const ws = new WebSocket(url, "switchyard.v1.json");
  const send = (msg) => ws.send(JSON.stringify({ id: ++nextId, ...msg }));
  const publish = (topic, data, idem) => send({ op: "publish", topic, data, idem });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function work(ev) {
    const job = ev.data;
    const out = model(job.body);
    if (job.stream_to && job.body.stream) {
      const stream = `${job.corr}/${ev.attempt}.${Math.random().toString(36).slice(2, 10)}`;
      const part = (i, type, body) => publish(job.stream_to, { type, turn: job.turn, body: { stream, ...body } },
                                              `${stream}/${i}`);
      part(0, "text-start", {});
      const words = out.text.split(" ");
      for (let i = 0; i < words.length; i++) {
        part(i + 1, "text-delta", { delta: (i ? " " : "") + words[i] });
        await sleep(slowMs);
      }
      part(words.length + 1, "text-end", {});
    }
    publish(job.reply_to, { type: "reply", corr: job.corr, body: out }, `${job.corr}:reply`);
    send({ op: "ack", topic: ev.topic, group: "llm", seq: ev.seq });
  }

  ws.on("open", () => {
    send({ op: "connect", client: "research-worker" });
    send({ op: "subscribe", topic: "jobs/llm", mode: "queue", group: "llm", max_inflight: 8 });
    console.log(`worker: connected to ${url}, serving group llm`);
  });
  ws.on("message", (frame) => {
    for (const line of frame.toString().split("\n").filter(Boolean)) {
      const m = JSON.parse(line);
      if (m.push === "event" && m.topic === "jobs/llm") {
        work(m).catch((e) => console.error("worker:", e));
      } else if (m.error) {
        console.error("worker: error", JSON.stringify(m.error));
      }
    }
  });
  ws.on("close", () => setTimeout(connect, 500)); // the node restarted: join again
  ws.on("error", () => {});
}

connect();
