// One chat through a stock useChat: the server owns the history (the page only shows what it
// read from GET …/chat/:chat_id), `resume: true` reconnects to a reply still being generated
// (after a reload, say), and Stop asks the server to stop, which keeps the partial reply.

import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport } from "ai";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { authHeaders, type ChatMessage, chatApi, loadChat, problemText, stopChat } from "./api.ts";

/** The server refuses longer messages (CHAT_MESSAGE_MAX_CHARS). */
const MESSAGE_MAX_CHARS = 16_000;

interface ConversationProps {
  creationId: string;
  chatId: string;
  /** The chat as the server has it, read before this component mounts. */
  history: ChatMessage[];
  onWallet(balanceCredits: number): void;
  onReplyEnded(): void;
}

export function Conversation({
  creationId,
  chatId,
  history,
  onWallet,
  onReplyEnded,
}: ConversationProps) {
  const [nothingToResume, setNothingToResume] = useState(false);
  // The AI SDK's defaults match troupe's routes, the reconnect URL (`${api}/${chatId}/stream`)
  // included. Headers are read per request, so a renewed token is used as soon as the sign-in
  // has one. `fetch` only notes a reconnect that found nothing running (204).
  const transport = useMemo(
    () =>
      new DefaultChatTransport<ChatMessage>({
        api: chatApi(creationId),
        headers: authHeaders,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (response.status === 204) setNothingToResume(true);
          return response;
        },
      }),
    [creationId],
  );
  const [text, setText] = useState("");
  const { messages, setMessages, sendMessage, status, error, stop } = useChat<ChatMessage>({
    id: chatId,
    messages: history,
    transport,
    resume: true,
    onData: (part) => {
      if (part.type === "data-wallet") onWallet(part.data.balance);
    },
    onFinish: onReplyEnded,
    // Refused before any reply (402 when the wallet cannot pay, 409 while another tab's reply
    // runs): the server kept nothing, so neither does the page; the text goes back to the input.
    onError: (error) => {
      if (!("statusCode" in error)) return; // not a refusal: the stream broke off
      setMessages((current) => {
        const last = current.at(-1);
        if (last?.role !== "user") return current;
        setText(textOf(last));
        return current.slice(0, -1);
      });
    },
  });
  // A reply still being generated when the history was read, which ended before the reconnect:
  // the server answers that 204 and the page holds the part it read (the history marks a reply
  // in progress with status "streaming"). Reading the history again shows it whole.
  useEffect(() => {
    if (!nothingToResume) return;
    setNothingToResume(false);
    const last = messages.at(-1);
    if (last?.role === "assistant" && last.metadata?.status === "streaming") {
      loadChat(creationId, chatId).then(setMessages, () => undefined);
    }
  }, [nothingToResume, messages, creationId, chatId, setMessages]);
  const [stopProblem, setStopProblem] = useState<string | null>(null);
  const busy = status === "submitted" || status === "streaming";

  function submit(event: FormEvent) {
    event.preventDefault();
    const message = text.trim();
    if (message === "" || busy) return;
    setText("");
    setStopProblem(null);
    void sendMessage({ text: message });
  }

  async function stopReply() {
    try {
      // The server aborts the model, keeps what it generated, and ends this stream itself
      // (an `abort` part, then [DONE]): the page keeps exactly what the server kept.
      if (!(await stopChat(creationId, chatId))) await stop();
    } catch (failure) {
      setStopProblem(problemText(failure));
      await stop();
    }
  }

  return (
    <section className="card" id="conversation" data-chat-status={status}>
      <ul className="plain" id="messages">
        {messages.map((message) => (
          <Message key={message.id} message={message} />
        ))}
      </ul>
      {error && (
        <p className="problem" role="alert" data-chat-problem>
          {problemText(error)}
        </p>
      )}
      {stopProblem && (
        <p className="problem" role="alert">
          {stopProblem}
        </p>
      )}
      <form id="send" onSubmit={submit}>
        <input
          id="prompt"
          autoComplete="off"
          maxLength={MESSAGE_MAX_CHARS}
          placeholder="Ask something"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        {busy ? (
          <button type="button" id="stop" onClick={stopReply}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary">
            Send
          </button>
        )}
      </form>
    </section>
  );
}

const textOf = (message: ChatMessage) =>
  message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");

function Message({ message }: { message: ChatMessage }) {
  const text = textOf(message);
  const meta = message.metadata;
  return (
    <li className={`message ${message.role}`} data-role={message.role} data-message-id={message.id}>
      <span className="who">{message.role === "user" ? "You" : "Model"}</span>
      <p className="text">{text}</p>
      {meta?.charged !== undefined && (
        <span className="muted cost" data-charged={meta.charged}>
          {meta.charged} {meta.charged === 1 ? "credit" : "credits"} · {meta.model} ·{" "}
          {meta.usage?.input_tokens ?? 0} in / {meta.usage?.output_tokens ?? 0} out tokens
          {meta.usage?.estimated ? " (estimated)" : ""}
        </span>
      )}
    </li>
  );
}
