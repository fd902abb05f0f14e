// A stock Node socket.io-client 4.8, as a bot or script would use it.
// Driven by server/tests/stock_client.rs; prints one JSON line per step.
//   CONFAB_URL, CONFAB_NS, CONFAB_COOKIE, CONFAB_CHANNEL, CONFAB_MODE (chat|refused|resume|dm)
//   CONFAB_TOKEN: an API token, sent as `auth: { token }` (a bot without a cookie)
//   resume: CONFAB_AFTER (the last seq it has), CONFAB_UNTIL (the seq to wait for)
//   dm: CONFAB_PEER (the username to write to)
const { io } = require("socket.io-client");

const say = (obj) => console.log(JSON.stringify(obj));
const channel_id = Number(process.env.CONFAB_CHANNEL || 0);
const socket = io(process.env.CONFAB_URL + process.env.CONFAB_NS, {
  extraHeaders: { Cookie: process.env.CONFAB_COOKIE || "" },
  auth: process.env.CONFAB_TOKEN ? { token: process.env.CONFAB_TOKEN } : undefined,
  reconnection: false,
  timeout: 5000,
});
const fail = (why) => { say({ step: "failed", why }); process.exit(1); };
setTimeout(() => fail("timed out"), 15000);

socket.on("connect_error", (err) => {
  say({ step: "connect_error", message: err.message });
  process.exit(process.env.CONFAB_MODE === "refused" ? 0 : 1);
});

// Resume as docs/API.md says: join with after_seq, page while `more`, then
// take live messages; report every seq in the order it came. The reply is
// handled in the acknowledgement callback, which runs as it arrives: code
// after an `await emitWithAck(...)` could run after messages that arrived
// with it in the same network read.
function resume() {
  const seqs = [];
  const until = Number(process.env.CONFAB_UNTIL);
  const done = () => {
    say({ step: "resumed", seqs });
    socket.disconnect();
    process.exit(0);
  };
  socket.on("message", (msg) => {
    seqs.push(msg.seq);
    if (msg.seq >= until) done();
  });
  const join = (after_seq) =>
    socket.timeout(5000).emit("join", { channel_id, after_seq }, (err, reply) => {
      if (err || !reply.ok) fail("join failed: " + (err ? err.message : JSON.stringify(reply)));
      for (const m of reply.ok.missed) seqs.push(m.seq);
      say({ step: "page", count: reply.ok.missed.length, more: reply.ok.more });
      if (reply.ok.more) join(reply.ok.missed[reply.ok.missed.length - 1].seq);
      else if (seqs.length && seqs[seqs.length - 1] >= until) done();
    });
  join(Number(process.env.CONFAB_AFTER));
}

// A bot writing to a person, as docs/API.md says: open the conversation,
// join its room, send, and answer what comes back.
async function direct() {
  const opened = await socket.timeout(5000).emitWithAck("open_direct", { usernames: [process.env.CONFAB_PEER] });
  if (!opened.ok) fail("open_direct failed: " + JSON.stringify(opened));
  const dm = opened.ok;
  const joined = await socket.timeout(5000).emitWithAck("join", { channel_id: dm.id });
  if (!joined.ok) fail("join failed: " + JSON.stringify(joined));
  say({ step: "dm open", channel: dm });
  const client_id = "bot-" + Date.now();
  socket.on("message", (msg) => {
    if (msg.channel_id !== dm.id || msg.client_id === client_id) return;
    say({ step: "reply", msg });
    socket.disconnect();
    process.exit(0);
  });
  const sent = await socket.timeout(5000).emitWithAck("send", { channel_id: dm.id, client_id, body: "hello from a bot" });
  if (!sent.ok) fail("send failed: " + JSON.stringify(sent));
  say({ step: "sent", ack: sent });
}

socket.on("connect", async () => {
  if (process.env.CONFAB_MODE === "refused") fail("connected but should have been refused");
  if (process.env.CONFAB_MODE === "resume") return resume();
  if (process.env.CONFAB_MODE === "dm") return direct();
  say({ step: "connected", transport: socket.io.engine.transport.name });
  const joined = await socket.timeout(5000).emitWithAck("join", { channel_id });
  say({ step: "joined", ack: joined });
  // Every socket in the room gets every message, its own too: a bot tells
  // its own by client_id.
  const client_id = "node-" + Date.now();
  socket.on("message", (msg) => {
    if (msg.client_id === client_id) return say({ step: "own message", msg });
    say({ step: "message", msg });
    socket.disconnect();
    process.exit(0);
  });
  const sent = await socket.timeout(5000).emitWithAck("send", {
    channel_id,
    client_id,
    body: "hello from node",
  });
  say({ step: "sent", ack: sent });
});
