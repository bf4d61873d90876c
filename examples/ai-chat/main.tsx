// The AI chat example: signs in with the examples' development sign-in, takes the creation from
// ?creation=<id> (or makes one), keeps the chat id in the address (#chat=<id>) so a reload
// comes back to the same chat, reads that chat's history from the server, and hands it to a
// stock useChat (./conversation.tsx). Bundled into main.js by scripts/build-client.mjs.

import { useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { currentToken, signedInAs, signOut } from "../shared/sign-in.js";
import {
  CHAT_ID_PATTERN,
  type ChatMessage,
  type ChatSummary,
  createCreation,
  fundCreation,
  listChats,
  loadChat,
  problemText,
  walletBalance,
} from "./api.ts";
import { Conversation } from "./conversation.tsx";

/** What "Add credits" moves from the owner's wallet into the creation's. */
const FUND_AMOUNT_CREDITS = 100;
/** The newest chats listed beside the conversation. */
const CHATS_SHOWN_MAX = 10;

/** The chat in the address, or a new one put there (a reload then resumes it). */
function chatIdFromAddress(): string {
  const found = /^#chat=(.+)$/.exec(location.hash)?.[1];
  if (found && CHAT_ID_PATTERN.test(found)) return found;
  const id = crypto.randomUUID();
  history.replaceState(null, "", `${location.pathname}${location.search}#chat=${id}`);
  return id;
}

function useChatId(): [string, () => void] {
  const [chatId, setChatId] = useState(chatIdFromAddress);
  useEffect(() => {
    const follow = () => setChatId(chatIdFromAddress());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const newChat = useCallback(() => {
    location.hash = `chat=${crypto.randomUUID()}`;
  }, []);
  return [chatId, newChat];
}

function App() {
  const [creationId, setCreationId] = useState(() =>
    new URLSearchParams(location.search).get("creation"),
  );
  if (!creationId) return <NoCreation onCreated={setCreationId} />;
  return <ChatPage creationId={creationId} />;
}

function NoCreation({ onCreated }: { onCreated(id: string): void }) {
  const [problem, setProblem] = useState<string | null>(null);
  async function create() {
    try {
      const id = await createCreation();
      history.replaceState(null, "", `${location.pathname}?creation=${id}${location.hash}`);
      onCreated(id);
    } catch (error) {
      setProblem(problemText(error));
    }
  }
  return (
    <section className="card" id="no-creation">
      <h2>Open this page with a creation</h2>
      <p>
        Add <code>?creation=&lt;creation id&gt;</code> to the address, or make a creation that you
        own now (then fund its wallet below to pay for replies).
      </p>
      <button type="button" className="primary" id="create-creation" onClick={create}>
        Create a creation
      </button>
      {problem && <p className="problem">{problem}</p>}
    </section>
  );
}

function ChatPage({ creationId }: { creationId: string }) {
  const [chatId, newChat] = useChatId();
  const [loaded, setLoaded] = useState<{ chatId: string; messages: ChatMessage[] } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [chats, setChats] = useState<ChatSummary[]>([]);
  const [balance, setBalance] = useState<number | null>(null);

  const refreshChats = useCallback(() => {
    listChats(creationId).then(setChats, () => undefined);
  }, [creationId]);
  // Only the creation's owner may read its wallet; anyone else learns the balance from the
  // `data-wallet` part at the end of each reply.
  const refreshWallet = useCallback(() => {
    walletBalance(creationId).then(setBalance, () => undefined);
  }, [creationId]);

  useEffect(() => {
    let current = true;
    setLoaded(null);
    loadChat(creationId, chatId).then(
      (messages) => current && setLoaded({ chatId, messages }),
      (error) => current && setProblem(problemText(error)),
    );
    return () => {
      current = false;
    };
  }, [creationId, chatId]);
  useEffect(refreshChats, [refreshChats]);
  useEffect(refreshWallet, [refreshWallet]);

  async function fund() {
    try {
      await fundCreation(creationId, FUND_AMOUNT_CREDITS);
      setProblem(null);
      refreshWallet();
    } catch (error) {
      setProblem(problemText(error));
    }
  }

  return (
    <>
      <section className="card" id="wallet">
        <p>
          Creation wallet: <strong data-wallet-balance>{balance ?? "—"}</strong> credits{" "}
          <button type="button" id="fund" onClick={fund}>
            Add {FUND_AMOUNT_CREDITS} from my wallet
          </button>
        </p>
        <p className="muted">
          Every reply is paid by the creation: the worst case is held before the model is called,
          and the actual tokens are charged when it ends (stopped replies included).
        </p>
      </section>
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
      <nav className="card" id="chats">
        <button type="button" id="new-chat" onClick={newChat}>
          New chat
        </button>
        <ul className="plain">
          {chats.slice(0, CHATS_SHOWN_MAX).map((chat) => (
            <li key={chat.id} className={chat.id === chatId ? "current" : ""}>
              <a href={`#chat=${chat.id}`}>{chat.title ?? chat.id}</a>
            </li>
          ))}
        </ul>
      </nav>
      {loaded?.chatId === chatId ? (
        <Conversation
          key={chatId}
          creationId={creationId}
          chatId={chatId}
          history={loaded.messages}
          onWallet={setBalance}
          onReplyEnded={refreshChats}
        />
      ) : (
        <p className="muted">Loading the chat…</p>
      )}
    </>
  );
}

function SignedOut() {
  return (
    <section className="card" id="signed-out">
      <p>An AI chat belongs to a signed-in user: its history, its replies and who pays for them.</p>
      <button
        type="button"
        className="primary"
        onClick={() => {
          signOut();
          location.reload();
        }}
      >
        Sign in
      </button>
    </section>
  );
}

const status = document.querySelector("[data-status]");
const container = document.querySelector("#root");
if (!container) throw new Error("the page has no #root");
const token = await currentToken();
if (status) status.textContent = token ? `signed in as ${signedInAs()}` : "not signed in";
createRoot(container).render(token ? <App /> : <SignedOut />);
