"use strict";
// Shared by the two pages that fuel the knowledge base, /annotate and /review (served at
// /static/fuel-pages.js): signing in with the user's own key, API calls whose problem details are
// shown, the alert region, the queue's next item, sending the result, the keyboard.
// A page calls fuelPage({...}) once with what differs; see fuelPage at the end.
const $ = (id) => document.getElementById(id);
const ROLES = {admin: "管理员", manager: "经理", annotator: "标注员", legal: "法务", rep: "销售", auditor: "审计"};

// the page's settings (fuelPage) and the session: the key, the item on screen, a request under way
const fuel = {page: null, key: "", item: null, busy: false};

class ApiError extends Error {
  constructor(status, detail, title) { super(detail); this.status = status; this.title = title || ""; }
}

async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: {Authorization: `Bearer ${fuel.key}`, ...(body === undefined ? {} : {"Content-Type": "application/json"})}});
  } catch (e) {
    throw new ApiError(0, "网络连接失败：请检查网络后重试。");
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, explain(response.status, problem), problem.title);
  }
  return response;
}

function explain(status, problem) {
  if (status === 401) return `密钥无效、已吊销或已过期：请重新输入，或向管理员申请新的${fuel.page.label}密钥。`;
  if (problem && problem.detail) return problem.detail;
  if (status >= 500) return `服务暂时不可用（${status}）：请稍后重试。`;
  return `请求失败（${status}）：请稍后重试。`;
}

// ---- messages: errors go to the alert region (role="alert"), successes to the status line
function showError(message, {title = "", offerNext = false, local = false} = {}) {
  const alert = $("alert");
  alert.replaceChildren();
  alert.dataset.local = local ? "1" : "";
  if (title) { const b = document.createElement("strong"); b.textContent = `${title}：`; alert.append(b); }
  alert.append(document.createTextNode(message));
  if (offerNext) {
    const next = document.createElement("button");
    next.type = "button"; next.id = "next-after-error"; next.textContent = "领取下一条";
    next.addEventListener("click", loadNext);
    alert.append(next);
    next.focus();
  }
  $("status").textContent = "";
}
const clearError = () => $("alert").replaceChildren();
const clearLocalError = () => { if ($("alert").dataset.local) clearError(); };

// ---- signing in with the user's own key; a key of another role is told which page is its own
function showKeyForm() {
  $("key-form").hidden = false; $("who").hidden = true; $("switch").hidden = true;
  $("key").focus();
}

async function signIn() {
  const {store, role, label, other} = fuel.page;
  fuel.key = $("key").value.trim();
  if (!fuel.key) { showError(`请先输入${label}密钥（zk_ 开头）。`); $("key").focus(); return; }
  clearError();
  $("status").textContent = "正在验证密钥…";
  let me;
  try {
    me = await (await api("GET", "/v1/me")).json();
  } catch (e) {
    sessionStorage.removeItem(store);
    showError(e.message, {title: e.title}); showKeyForm(); return;
  }
  if (me.role !== role) {
    sessionStorage.removeItem(store);
    const hint = me.role === other.role ? other.hint : `请换用${label}（${role}）密钥。`;
    showError(`当前密钥属于「${me.name}」，角色是${ROLES[me.role] || me.role}，本页需要${label}（${role}）密钥：${hint}`, {title: "角色不符"});
    showKeyForm(); return;
  }
  sessionStorage.setItem(store, fuel.key);
  $("key").value = "";
  $("key-form").hidden = true;
  $("who").textContent = `${me.name}（${label}）`; $("who").hidden = false; $("switch").hidden = false;
  $("status").textContent = "";
  await loadNext();
}

// ---- the item: a turn of the conversation; the queue's next item, or the empty state
function turn(role, text) {
  const div = document.createElement("div");
  div.className = `turn ${role === "rep" ? "rep" : "customer"}`;
  const who = document.createElement("span");
  who.className = "who"; who.textContent = role === "rep" ? "销售" : "客户";
  div.append(who, document.createTextNode(text));  // desensitized text holds <PERSON_1> etc.: text, never HTML
  return div;
}

async function loadNext() {
  if (fuel.busy) return;
  fuel.busy = true;
  clearError();
  try {
    const response = await api("GET", fuel.page.next);
    if (response.status === 204) {
      fuel.item = null;
      if (fuel.page.empty) fuel.page.empty(response);
      $("work").hidden = true; $("empty").hidden = false;
      $("reload").focus();
    } else {
      fuel.item = await response.json();
      fuel.page.render(fuel.item);
    }
  } catch (e) {
    showError(e.message, {title: e.title});
    if (e.status === 401 || e.status === 403) showKeyForm();
  } finally {
    fuel.busy = false;
  }
}

// ---- sending the item's result: the server's answer, or null after showing why not
// (a 409 or 404 means the item is gone: the alert offers the next one)
async function send(path, body) {
  fuel.busy = true; $("submit").disabled = true;
  clearError();
  let answer;
  try {
    answer = await (await api("POST", path, body)).json();
  } catch (e) {
    fuel.busy = false; $("submit").disabled = false;
    showError(e.message, {title: e.title, offerNext: e.status === 409 || e.status === 404});
    if (e.status === 401 || e.status === 403) showKeyForm();
    return null;
  }
  fuel.busy = false; $("submit").disabled = false;
  return answer;
}

// ---- the keyboard: the page's shortcuts and Enter to submit, but never while typing
function onKeydown(event) {
  if (event.isComposing || event.keyCode === 229 || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("#key-form, [data-own-keys]") || !fuel.item) return;  // the key field, a page's side forms, the empty state and error buttons behave natively
  if (target.matches("textarea, input[type=text], input:not([type])")) {  // typing: no shortcuts
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); fuel.page.submit(); }
    else if (event.key === "Escape") { target.blur(); $("snippet").focus(); }
    return;
  }
  if (event.key === "Enter") {
    if (target.matches("button, a, summary")) return;  // let buttons act
    event.preventDefault(); fuel.page.submit(); return;
  }
  if (event.key === " " && target.matches("button, select, input[type=checkbox], input[type=radio]")) return;
  if (event.shiftKey && !/^[a-z]$/i.test(event.key)) return;
  if (fuel.page.shortcut(event)) { event.preventDefault(); clearLocalError(); }
}

// ---- a page: fuelPage({
//   store: the sessionStorage key for the user's key, role: the role the page needs, label: its name,
//   other: {role, hint}: the other page's role and where to send it, next: the GET for the next item,
//   form: the id of the item's form, render(item), submit(), shortcut(event): true if handled,
//   empty(response) (optional): the queue is empty, reset() (optional): the user switches keys})
function fuelPage(page) {
  fuel.page = page;
  fuel.key = sessionStorage.getItem(page.store) || "";
  document.addEventListener("keydown", onKeydown);
  $(page.form).addEventListener("change", clearLocalError);
  $(page.form).addEventListener("submit", (event) => { event.preventDefault(); page.submit(); });
  $("key-form").addEventListener("submit", (event) => { event.preventDefault(); signIn(); });
  $("switch").addEventListener("click", () => {
    sessionStorage.removeItem(page.store); fuel.key = ""; fuel.item = null;
    if (page.reset) page.reset();
    $("work").hidden = true; $("empty").hidden = true; $("status").textContent = "";
    clearError(); showKeyForm();
  });
  $("reload").addEventListener("click", loadNext);
  if (fuel.key) { $("key").value = fuel.key; signIn(); } else { $("key").focus(); }
}
