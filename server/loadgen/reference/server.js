// The reference server of Confab's benchmarks: Socket.IO's classic chat
// example (socket.io 4.8 on Node), extended with rooms, receiving the events
// Confab receives and broadcasting to the room as Confab does, so the load
// generator drives both with the same client code. It stores nothing.
//   PORT (default 3300); namespace /bench.
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3300);
const io = new Server(port, { transports: ["websocket"], serveClient: false });
const ns = io.of("/bench");
const lastSeq = new Map();
let nextId = 1;

ns.on("connection", (socket) => {
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
});

console.log(JSON.stringify({ step: "listening", port }));
