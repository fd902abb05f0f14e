// A Confab bot written from docs/API.md alone, with a stock socket.io-client
// (npm install socket.io-client). It signs in with a personal API token,
// joins a channel by its name, answers every "ping" of someone else with
// "pong", and after a restart resumes from the last event it handled, so it
// answers what was said while it was away, each once.
//
//   CONFAB_URL=http://127.0.0.1:3000 CONFAB_TOKEN=confab_... CONFAB_ORG=acme \
//   CONFAB_CHANNEL=general CONFAB_STATE=bot-state.json node docs/examples/bot.cjs
//
// The server's tests run this very file against a real server.
const fs = require("node:fs");
const { io } = require("socket.io-client");

const { CONFAB_URL: url, CONFAB_TOKEN: token, CONFAB_ORG: org, CONFAB_CHANNEL: name } = process.env;
const stateFile = process.env.CONFAB_STATE || "bot-state.json";

// Every HTTP endpoint is a POST of form fields, answered with JSON.
async function api(endpoint, fields = {}) {
  const res = await fetch(`${url}/api/${endpoint}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(fields),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${endpoint}: ${res.status} ${body.code}: ${body.message}`);
  return body;
}

// The newest seq handled, kept across restarts.
function load() {
  try {
    return JSON.parse(fs.readFileSync(stateFile, "utf8"));
  } catch {
    return { last_seq: null };
  }
}
function save(state) {
  fs.writeFileSync(stateFile, JSON.stringify(state));
}
function say(step, more = {}) {
  console.log(JSON.stringify({ step, ...more }));
}

async function main() {
  const me = await api("me");
  // Joining over HTTP makes the bot a member of the channel (a socket's
  // `join` only listens); the answer carries the id the socket events take.
  const channel = await api("join_channel", { slug: org, channel: name });
  const state = load();
  const socket = io(`${url}/${org}`, { auth: { token }, transports: ["websocket"] });

  // Events are handled one after the other, in the order they came: a join's
  // missed page (in its acknowledgement callback) before the live events
  // that follow it. A page and a live event may both carry one event, so
  // anything at or below the last seq handled is skipped.
  let queue = Promise.resolve();
  const enqueue = (m) => {
    queue = queue.then(() => handle(m)).catch((e) => say("failed", { error: String(e) }));
  };
  async function handle(m) {
    if (m.channel_id !== channel.id || (state.last_seq !== null && m.seq <= state.last_seq)) return;
    if (m.kind === "message" && m.author_id !== me.id && m.body.trim() === "ping") {
      // The client id is made from the ping's seq: sent again after a
      // restart, it is stored once.
      const answer = await socket
        .timeout(10000)
        .emitWithAck("send", { channel_id: channel.id, client_id: `pong-${m.seq}`, body: "pong" });
      if (answer.error) throw new Error(`send: ${answer.error.code}: ${answer.error.message}`);
      say("answered", { seq: m.seq });
    }
    state.last_seq = m.seq;
    save(state);
  }

  // Into the room, with what was missed since `after` (the first time:
  // nothing, from now on), a page at a time.
  function join(after) {
    socket.timeout(10000).emit("join", { channel_id: channel.id, after_seq: after }, (err, answer) => {
      if (err || answer.error) {
        say("failed", { error: String(err || `join: ${answer.error.code}: ${answer.error.message}`) });
        return;
      }
      const joined = answer.ok;
      if (joined.reset) {
        // The channel does not go on from there (a restored database).
        queue = queue.then(() => {
          state.last_seq = joined.last_seq;
          save(state);
        });
        return join(joined.last_seq);
      }
      joined.missed.forEach(enqueue);
      if (joined.more) return join(joined.missed[joined.missed.length - 1].seq);
      queue = queue.then(() => say("ready", { channel_id: channel.id }));
    });
  }

  socket.on("message", enqueue);
  socket.on("connect_error", (e) => say("failed", { error: e.message }));
  socket.on("connect", () => join(state.last_seq ?? channel.last_seq));
}

main().catch((e) => {
  say("failed", { error: String(e) });
  process.exit(1);
});
