// The avatar player: plays the reply's MP4 segments back to back as they arrive, so the face starts talking
// with the first sentence while later ones are still being made. Segment URLs come from the hidden
// #segments textbox as JSON {"turn": id, "urls": [...], "stop": bool}; a new turn id cuts the old reply short
// (its first segment plays at once), and "stop" (the user barged in) silences the player.
const video = element.querySelector("video");
const state = { turn: null, queue: [], seen: new Set() };
function playNext() {
  if (video.currentSrc && !video.ended && !video.paused) return;
  const url = state.queue.shift();
  if (!url) return;
  video.src = url;
  video.play().catch(() => { /* autoplay blocked until the user interacts: the controls still work */ });
}
video.addEventListener("ended", playNext);
setInterval(() => {
  const box = document.querySelector("#segments textarea, #segments input");
  if (!box || !box.value) return;
  let data;
  try { data = JSON.parse(box.value); } catch (e) { return; }
  if (data.turn !== state.turn) {
    const interrupted = state.turn !== null;
    state.turn = data.turn; state.queue = []; state.seen = new Set();
    if (data.stop) { video.pause(); video.removeAttribute("src"); video.load(); }  // barge-in: stop talking now
    else if (interrupted) video.pause();  // a newer reply is ready: it starts now, the old one is not finished
  }
  for (const url of data.urls || []) {
    if (!state.seen.has(url)) { state.seen.add(url); state.queue.push(url); }
  }
  playNext();
}, 150);
