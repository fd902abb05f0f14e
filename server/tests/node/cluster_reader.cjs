// A stock Node socket.io-client 4.8 reading one channel through a load
// balancer, with its default transports (long-polling, then the upgrade to
// a WebSocket) and its own reconnection: whenever it (re)connects it joins
// with the last seq it has (paging while `more`), as docs/API.md says.
// Driven by server/tests/cluster.rs; prints one JSON line when it has every
// seq up to CONFAB_UNTIL: what it received, in order, how often it
// connected and how often it was cut off for falling behind.
//   CONFAB_URL, CONFAB_NS, CONFAB_TOKEN, CONFAB_CHANNEL, CONFAB_UNTIL
const { io } = require("socket.io-client");

const say = (obj) => console.log(JSON.stringify(obj));
const channel_id = Number(process.env.CONFAB_CHANNEL);
const until = Number(process.env.CONFAB_UNTIL);
const received = []; // [seq, client_id], in the order received
let last = 0; // the newest seq with none missing below it
let connects = 0;
let fellBehind = 0;
const seen = new Set();

const socket = io(process.env.CONFAB_URL + process.env.CONFAB_NS, {
  auth: { token: process.env.CONFAB_TOKEN },
  // Node keeps the load balancer's cookie, so every long-polling request
  // of a session reaches the server that holds it.
  withCredentials: true,
  reconnectionDelay: 100,
  reconnectionDelayMax: 1000,
  timeout: 5000,
});
setTimeout(() => { say({ step: "failed", why: "timed out", last }); process.exit(1); }, 170000);

const take = (m) => {
  received.push([m.seq, m.client_id]);
  seen.add(m.seq);
  while (seen.has(last + 1)) last += 1;
  if (last >= until) {
    say({ step: "done", received, connects, fell_behind: fellBehind, transport: socket.io.engine.transport.name });
    process.exit(0);
  }
};

socket.on("message", take);
// Progress, for a run that fails: on stderr, which the test passes on.
const note = (obj) => console.error(JSON.stringify({ reader: "node", ...obj }));
const join = (after_seq) =>
  socket.timeout(5000).emit("join", { channel_id, after_seq }, (err, reply) => {
    if (err || !reply.ok) {
      note({ step: "join failed", last, why: err ? String(err) : reply.error });
      // Still connected (a slow or refused answer): ask again. Otherwise
      // the next connect joins again.
      if (socket.connected) setTimeout(() => join(last), 200);
      return;
    }
    for (const m of reply.ok.missed) take(m);
    if (reply.ok.more) join(last);
  });
socket.on("connect", () => {
  connects += 1;
  note({ step: "connected", last, connects, transport: socket.io.engine.transport.name });
  join(last);
});
// Cut off for falling behind (docs/API.md): reconnect at once and resume.
socket.on("fell_behind", () => {
  fellBehind += 1;
  note({ step: "fell behind", last });
  socket.disconnect().connect();
});
socket.on("disconnect", (why) => {
  note({ step: "disconnected", last, why });
  // The server closed it (socket.io-client does not reconnect by itself then).
  if (why === "io server disconnect") socket.connect();
});
socket.on("connect_error", (e) => note({ step: "connect error", last, why: String(e.message || e) }));
