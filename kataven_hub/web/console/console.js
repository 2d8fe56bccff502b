// The campaign console: a client of the public API only, the reference client for frontend teams.
// The key stays in sessionStorage. Progress is live from each campaign's event stream, read with
// fetch (EventSource cannot send an Authorization header); there is no polling.

const STATES = ["pending", "dialing", "completed", "no_answer", "busy", "failed", "skipped"];
const TERMINAL = ["completed", "failed"];
// what each action needs, as the state machine in docs/reference/campaigns/start-to-finish.md says
const ACTIONS = {
  start: ["draft", "paused"], pause: ["running"], resume: ["paused"],
  stop: ["scheduled", "running", "paused"], delete: ["draft"],
};
const rows = new Map(); // campaign id -> {campaign, snapshot, stream}
let contactsOf = null, contactsPage = 0;

const $ = (selector) => document.querySelector(selector);
const key = () => sessionStorage.getItem("hub-key") || "";
// X-Hub-Consumer names this client to a server that records what its consumers use (`--record`)
// the API beside the console: at the root, or under the mount serving it (`/hub/console/` calls `/hub/api/v1`)
const API = `${location.pathname.replace(/\/console(\/.*)?$/, "")}/api/v1`;
const headers = () => ({ Authorization: `Bearer ${key()}`, "X-Hub-Consumer": "console" });

async function api(path, options = {}) {
  const response = await fetch(`${API}${path}`, { ...options, headers: headers() });
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(typeof body === "string" ? body : JSON.stringify(body));
  return body;
}

function showError(message) {
  $("#error").textContent = message || "";
  $("#error").hidden = !message;
}

async function loadCampaigns() {
  const { campaigns } = await api("/campaigns");
  for (const [id, row] of rows) if (!campaigns.some((c) => c.id === id)) { row.stream?.abort(); rows.delete(id); }
  for (const campaign of campaigns) {
    const row = rows.get(campaign.id) || { snapshot: null, stream: null };
    row.campaign = campaign;
    rows.set(campaign.id, row);
    if (campaign.status !== "draft" && !row.stream && !(row.snapshot && TERMINAL.includes(row.snapshot.status))) {
      follow(campaign.id, row);
    }
  }
  render();
}

// Read the campaign's event stream: a snapshot at once and every few seconds, `event: end` at the end.
async function follow(id, row) {
  row.stream = new AbortController();
  try {
    const response = await fetch(`${API}/campaigns/${id}/events`, {
      headers: headers(), signal: row.stream.signal,
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        onFrame(row, buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") showError(`events of ${id}: ${error.message}`);
  }
  row.stream = null;
}

function onFrame(row, frame) {
  const lines = frame.split("\n");
  const data = lines.find((line) => line.startsWith("data: "));
  if (!data) return; // a heartbeat
  const snapshot = JSON.parse(data.slice(6));
  if (snapshot.status === "deleted") return loadCampaigns();
  row.snapshot = snapshot;
  row.campaign.status = snapshot.status;
  row.ended = lines.includes("event: end");
  render();
}

function bar(row) {
  const total = row.snapshot?.total ?? row.campaign.contacts_total ?? 0;
  const counts = row.snapshot?.counts ?? { pending: total };
  const segments = STATES.filter((s) => counts[s]).map((s) =>
    `<span class="${s}" style="width:${(100 * counts[s]) / total}%" title="${s}: ${counts[s]}"></span>`);
  const text = STATES.filter((s) => counts[s]).map((s) => `${s} ${counts[s]}`).join(", ");
  return [`<div class="bar" data-counts='${JSON.stringify(counts)}'>${segments.join("")}</div>`, text];
}

function render() {
  const body = $("#campaigns tbody");
  body.innerHTML = "";
  for (const [id, row] of rows) {
    const status = row.campaign.status;
    const [progress, text] = bar(row);
    const tr = document.createElement("tr");
    tr.dataset.id = id;
    tr.innerHTML = `<td>${escape(row.campaign.name)}</td><td class="status">${status}${row.ended ? " (ended)" : ""}</td>
      <td>${progress}</td><td class="counts">${text}</td><td></td>`;
    for (const [action, from] of Object.entries(ACTIONS)) {
      const button = document.createElement("button");
      button.textContent = action;
      button.disabled = !from.includes(status);
      button.onclick = () => act(id, action);
      tr.lastElementChild.append(button);
    }
    const contacts = document.createElement("button");
    contacts.textContent = "contacts";
    contacts.onclick = () => { contactsOf = id; contactsPage = 0; loadContacts(); };
    tr.lastElementChild.append(contacts);
    body.append(tr);
  }
}

async function act(id, action) {
  showError("");
  try {
    if (action === "delete") await api(`/campaigns/${id}`, { method: "DELETE" });
    else await api(`/campaigns/${id}/${action}`, { method: "POST" });
  } catch (error) {
    showError(error.message);
  }
  await loadCampaigns();
}

async function loadContacts() {
  const status = $("#contact-status").value;
  const query = new URLSearchParams({ page: contactsPage, ...(status && { status }) });
  const page = await api(`/campaigns/${contactsOf}/contacts?${query}`);
  $("#contacts").hidden = false;
  $("#contacts-of").textContent = rows.get(contactsOf)?.campaign.name ?? contactsOf;
  $("#page").textContent = `page ${page.page + 1} of ${Math.max(1, Math.ceil(page.total / page.page_size))}`;
  $("#previous").disabled = page.page === 0;
  $("#next").disabled = (page.page + 1) * page.page_size >= page.total;
  $("#contacts tbody").innerHTML = page.contacts.map((c) => `<tr><td>${c.id}</td><td>${c.phone_number}</td>
    <td>${c.status}</td><td>${c.attempts}</td><td>${escape(JSON.stringify(c.custom_fields))}</td></tr>`).join("");
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

$("#key-form").onsubmit = async (event) => {
  event.preventDefault();
  sessionStorage.setItem("hub-key", $("#key").value.trim());
  $("#account").textContent = key().split("_")[2] ? `account ${key().split("_")[2]}` : "";
  await loadCampaigns().catch((error) => showError(error.message));
};

$("#create-form").onsubmit = async (event) => {
  event.preventDefault();
  showError("");
  try {
    await api("/campaigns", { method: "POST", body: new FormData(event.target) });
    event.target.reset();
  } catch (error) {
    showError(error.message); // the server's message, verbatim
  }
  await loadCampaigns();
};

$("#contact-status").append(...STATES.map((s) => new Option(s, s)));
$("#contact-status").onchange = () => { contactsPage = 0; loadContacts(); };
$("#previous").onclick = () => { contactsPage -= 1; loadContacts(); };
$("#next").onclick = () => { contactsPage += 1; loadContacts(); };
$(".legend").innerHTML = STATES.map((s) => `<span class="${s}"></span>${s}`).join("");
if (key()) { $("#key").value = key(); loadCampaigns().catch((error) => showError(error.message)); }
