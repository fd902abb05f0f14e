// The reference server of Confab's benchmarks: Socket.IO's classic chat
// example (socket.io 4.8 on Node), extended with rooms, receiving the events
// Confab receives and broadcasting to the room as Confab does, so the load
// generator drives both with the same client code. It stores nothing.
// With REDIS_URL, several of them are one service through Socket.IO's own
// Redis adapter (@socket.io/redis-adapter, as its documentation sets it
// up); a room's `seq` is counted by the server its senders use (the
// benchmark keeps a room's senders on one server).
//   PORT (default 3300); REDIS_URL (optional); namespace /bench.
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3300);
const io = new Server({ transports: ["websocket"], serveClient: false });
const lastSeq = new Map();
let nextId = 1;

function serve(ns, socket) {
  socket.on("join", (req, ack) => {
    const channel_id = Number(req && req.channel_id);
    socket.join(`channel:${channel_id}`);
    if (typeof ack === "function") {
      ack({ ok: { channel_id, last_seq: lastSeq.get(channel_id) || 0, missed: [], more: false, reset: false } });
    }
  });
  socket.on("send", (req, ack) => {
    const channel_id = Number(req && req.channel_id);
    const seq = (lastSeq.get(channel_id) || 0) + 1;
    lastSeq.set(channel_id, seq);
    const message = {
      id: nextId++,
      channel_id,
      seq,
      kind: "message",
      client_id: String(req.client_id),
      author_id: 0,
      author: "bench",
      body: String(req.body),
      sent_at: Date.now(),
    };
    // Everyone in the room, the sender included, as Confab does.
    ns.to(`channel:${channel_id}`).emit("message", message);
    if (typeof ack === "function") ack({ ok: message });
  });
}

async function main() {
  if (process.env.REDIS_URL) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: process.env.REDIS_URL });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  const ns = io.of("/bench");
  ns.on("connection", (socket) => serve(ns, socket));
  // On loopback only: the load generator's own connections come from
  // 127.0.0.2-5 and may hold this port number there.
  const http = require("http").createServer();
  io.attach(http);
  await new Promise((resolve) => http.listen(port, "127.0.0.1", resolve));
  console.log(JSON.stringify({ step: "listening", port, redis: Boolean(process.env.REDIS_URL) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
