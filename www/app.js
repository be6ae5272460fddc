// The browser demo: the npm package (web target, served at /pkg/) caching articles from the edge.
import init, { EdgeCache, indexedDbStore } from "/pkg/edgecache.js";

await init();
const cache = new EdgeCache({ namespace: "www", store: indexedDbStore("demo"), stampMemo: 0 });
const follower = cache.followEdge(location.origin, { tags: ["articles"], interval: "1s" });
const $ = (id) => document.getElementById(id);
const history = [];
const totals = { hits: 0, misses: 0 };
const shown = new Map();

function log(text) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $("log").prepend(item);
}

async function fetchJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function loadArticles() {
  const list = await cache.getOrSet("list", () => fetchJson("/api/articles"), { ttl: "30s", tags: ["articles"] });
  const round = { hits: 0, misses: 0 };
  const rows = await Promise.all(
    list.value.articles.map(async ({ slug }) => {
      const got = await cache.getOrSet(`article:${slug}`, () => fetchJson(`/api/articles/${slug}`), {
        ttl: "30s",
        tags: ["articles", `article:${slug}`],
      });
      const hit = got.source === "cached";
      round[hit ? "hits" : "misses"]++;
      return { slug, got };
    }),
  );
  totals.hits += round.hits;
  totals.misses += round.misses;
  history.push(round);
  if (history.length > 30) history.shift();
  render(rows);
}

function badge(source) {
  return source === "cached" ? ["hit", "hit"] : source === "stale" ? ["stale", "stale"] : ["miss", "miss"];
}

function render(rows) {
  const ul = $("articles");
  for (const { slug, got } of rows) {
    let li = shown.get(slug);
    if (!li) {
      li = document.createElement("li");
      li.className = "article";
      li.dataset.testid = "article";
      li.dataset.slug = slug;
      li.innerHTML = `<h3></h3><div class="meta"></div><div class="actions"><span class="badge"></span><span class="ttl"></span><button type="button">Change</button></div>`;
      li.querySelector("button").addEventListener("click", () => change(slug));
      ul.append(li);
      shown.set(slug, li);
    }
    const [cls, text] = badge(got.source);
    li.querySelector("h3").textContent = got.value.title;
    li.querySelector(".meta").textContent = `by ${got.value.author.name} · tags ${got.tags.join(", ")}`;
    const b = li.querySelector(".badge");
    b.className = `badge ${cls}`;
    b.textContent = text;
    li.dataset.freshUntil = String(got.freshUntil);
  }
  $("hits").textContent = totals.hits;
  $("misses").textContent = totals.misses;
  $("purges").textContent = follower.invalidations;
  $("polls").textContent = follower.polls;
  drawChart();
}

function drawChart() {
  const svg = $("chart");
  const max = Math.max(1, ...history.map((r) => r.hits + r.misses));
  const w = 300 / 30;
  svg.innerHTML = history
    .map((r, i) => {
      const hh = (r.hits / max) * 76;
      const mh = (r.misses / max) * 76;
      return `<rect x="${i * w + 1}" y="${78 - hh}" width="${w - 2}" height="${hh}" fill="#1f9d55"/>` +
        `<rect x="${i * w + 1}" y="${78 - hh - mh}" width="${w - 2}" height="${mh}" fill="#d97706"/>`;
    })
    .join("");
}

function tick() {
  const now = Date.now();
  for (const li of shown.values()) {
    const left = Math.max(0, Math.round((Number(li.dataset.freshUntil) - now) / 1000));
    li.querySelector(".ttl").textContent = `${left}s left`;
  }
}

async function change(slug) {
  const response = await fetch(`/api/articles/${slug}/edit`, { method: "POST" });
  const article = await response.json();
  log(`origin changed ${slug} → "${article.title}"; the edge was purged`);
}

let purgesSeen = 0;
async function refresh() {
  try {
    await loadArticles();
    if (follower.invalidations > purgesSeen) {
      purgesSeen = follower.invalidations;
      log("a purge arrived from the edge: local entries invalidated");
    }
  } catch (error) {
    log(`refresh failed: ${error.message}`);
  }
}

await refresh();
log("loaded");
setInterval(refresh, 2000);
setInterval(tick, 250);
window.edgecacheDemo = { cache, follower, refresh };
