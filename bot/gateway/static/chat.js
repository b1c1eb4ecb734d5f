// Web chat client: keeps a stable sender id per browser, renders text, links and
// quick-reply buttons, and shows errors politely. No framework, no build step.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const typing = document.getElementById("typing");

  function newId() {
    const bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  let sender = localStorage.getItem("chat-sender");
  if (!sender) { sender = newId(); localStorage.setItem("chat-sender", sender); }
  // A ward's own link (/?phuong=tay-ho) sends people who ask for help to that ward's team.
  const ward = new URLSearchParams(location.search).get("phuong");
  // While a person of the team answers, their replies are fetched every few seconds.
  let handoff = false;

  // Text is inserted as text nodes; only http(s) links become anchors.
  const URL_RE = /(https?:\/\/[^\s<>"')]+|\b[a-z0-9.-]+\.gov\.vn(?:\/[^\s<>"')]*)?)/gi;
  function appendLinkified(el, text) {
    let last = 0;
    text.replace(URL_RE, (match, _g, offset) => {
      el.appendChild(document.createTextNode(text.slice(last, offset)));
      const trimmed = match.replace(/[.,;:!?]+$/, "");
      const a = document.createElement("a");
      a.href = /^https?:/i.test(trimmed) ? trimmed : "https://" + trimmed;
      a.target = "_blank"; a.rel = "noopener noreferrer";
      a.textContent = trimmed;
      el.appendChild(a);
      if (trimmed.length < match.length) el.appendChild(document.createTextNode(match.slice(trimmed.length)));
      last = offset + match.length;
      return match;
    });
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  function addMessage(kind, text) {
    const div = document.createElement("div");
    div.className = "msg " + kind;
    appendLinkified(div, text);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function addButtons(buttons) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const b of buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", () => { row.remove(); send(b.payload, b.title); });
      row.appendChild(btn);
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  async function send(text, shown) {
    if (shown !== null) addMessage("user", shown || text);
    sendButton.disabled = true; typing.hidden = false;
    try {
      const res = await fetch("/api/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(ward ? { sender: sender, text: text, ward: ward } : { sender: sender, text: text }),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) {
        const detail = typeof data.detail === "string" ? data.detail : "Yêu cầu chưa hợp lệ, bạn thử lại giúp mình nhé.";
        addMessage("error", detail);
        return;
      }
      for (const m of data.messages || []) {
        if (m.text) addMessage("bot", m.text);
        if (m.buttons && m.buttons.length) addButtons(m.buttons);
      }
      setHandoff(data.handoff === true);
    } catch (e) {
      addMessage("error", "Mất kết nối tới máy chủ. Bạn kiểm tra mạng rồi gửi lại giúp mình nhé.");
    } finally {
      sendButton.disabled = false; typing.hidden = true; input.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = ""; input.style.height = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  });

  // Messages that arrive on their own: a team member's replies, status updates. The last
  // id shown is sent back ("after"): only then are they marked delivered, so an answer lost
  // on a weak connection comes again at the next poll.
  let lastSeen = 0;
  async function poll() {
    try {
      const url = "/api/messages/pending?sender=" + encodeURIComponent(sender) + "&after=" + lastSeen;
      const res = await fetch(url);
      if (res.ok) {
        const data = await res.json();
        for (const m of data.messages || []) if (m.text) addMessage(handoff ? "human" : "bot", m.text);
        if (typeof data.last === "number") lastSeen = data.last;
        setHandoff(data.handoff === true);
      }
    } catch (e) { /* offline: try again at the next tick */ }
    setTimeout(poll, handoff ? 3000 : 15000);
  }
  function setHandoff(on) {
    handoff = on;
    document.body.classList.toggle("handoff", on);
  }
  setTimeout(poll, 1000);

  // A shared phone or a ward kiosk: a new sender id, so the next person never sees the
  // previous one's replies or writes into their request for a person.
  document.getElementById("new-chat").addEventListener("click", async () => {
    const warning = handoff ? " Yêu cầu gặp người hỗ trợ đang chờ sẽ được hủy." : "";
    if (!confirm("Bắt đầu cuộc trò chuyện mới? Các tin nhắn trên màn hình này sẽ được xóa." + warning)) return;
    if (handoff) {
      await fetch("/api/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: sender, text: "/cancel" }),
      }).catch(() => {});
    }
    sender = newId();
    lastSeen = 0;
    localStorage.setItem("chat-sender", sender);
    log.textContent = "";
    setHandoff(false);
    send("/greet", null);
  });

  if (!sessionStorage.getItem("chat-greeted")) {
    sessionStorage.setItem("chat-greeted", "1");
    send("/greet", null);
  }
})();
