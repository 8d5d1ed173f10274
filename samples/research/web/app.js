// The research sample's page: publishes a question to the planner's inbox
// (agents/research/<conv>), reads agents/research/<conv>/out (statuses, the writer's
// token stream, the final report), and stops a turn with a cancel_turn event.
// ?node=ws://host:port/ws picks the node; ?conv=<id> resumes a conversation.

const params = new URLSearchParams(location.search);
const nodeUrl = params.get("node") || "ws://127.0.0.1:7400/ws";
const conv = params.get("conv") || "c" + Math.random().toString(36).slice(2, 10);
const inbox = `agents/research/${conv}`;
const out = `${inbox}/out`;
const $ = (id) => document.getElementById(id);
$("conv").textContent = conv;

let ws;
let nextId = 0;
let turn = null;   // the turn in flight
let stream = null; // the stream id shown: a new one (a redelivered job) replaces it

const send = (msg) => ws.send(JSON.stringify({ id: ++nextId, ...msg }));
const setStatus = (text) => { $("status").textContent = text; };

function onEvent(data) {
  const body = data.body || {};
  switch (data.type) {
    case "ui.status":
      setStatus(`${body.phase}${body.detail ? ": " + body.detail : ""}`);
      if (["failed", "cancelled", "busy"].includes(body.phase) && data.turn === turn) endTurn();
      break;
    case "text-start":
      stream = body.stream;
      $("stream").textContent = "";
      break;
    case "text-delta":
      if (body.stream === stream) $("stream").textContent += body.delta;
      break;
    case "research.report":
      $("report").textContent = body.text;
      $("report").dataset.state = "done";
      setStatus("done");
      if (data.turn === turn) endTurn();
      break;
  }
}

function endTurn() {
  turn = null;
  $("stop").disabled = true;
  $("ask").disabled = false;
}

function connect() {
  ws = new WebSocket(nodeUrl, "switchyard.v1.json");
  ws.onopen = () => {
    send({ op: "connect", client: "research-page" });
    send({ op: "subscribe", topic: out, from: { last: 200 } });
    setStatus("ready");
  };
  ws.onmessage = (e) => {
    for (const line of e.data.split("\n").filter(Boolean)) {
      const m = JSON.parse(line);
      if (m.push === "event" && m.topic === out) onEvent(m.data);
      else if (m.error) setStatus(`error: ${m.error.code}: ${m.error.message}`);
    }
  };
  ws.onclose = () => { setStatus("disconnected; reconnecting…"); setTimeout(connect, 1000); };
}

$("ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  turn = "t" + Date.now();
  $("report").textContent = "";
  $("report").dataset.state = "waiting";
  $("stream").textContent = "";
  $("ask").disabled = true;
  $("stop").disabled = false;
  send({ op: "publish", topic: inbox, idem: `${conv}:${turn}`,
         data: { type: "research.prompt", turn, body: { text: $("question").value } } });
});

$("stop").addEventListener("click", () => {
  if (!turn) return;
  send({ op: "publish", topic: inbox, idem: `${conv}:${turn}:cancel`,
         data: { type: "cancel_turn", turn, body: { turn, reason: "stop button" } } });
});

connect();
