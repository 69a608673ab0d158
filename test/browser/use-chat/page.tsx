/**
 * The smallest real front end on `POST /api/chat`: the AI SDK's `useChat` from `@ai-sdk/react`,
 * with `resume: true` so a reload mid-reply reconnects (`GET /api/chat/{id}/stream`). The chat id
 * is the URL's hash. A turn keeps running when its client goes away (so that a reload can resume
 * it), so Stop also tells the server: `POST /api/chat/abort`. A tool call waiting for approval
 * gets Approve and Deny (`addToolApprovalResponse`); the chat sends the answer on its own.
 */
import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport, lastAssistantMessageIsCompleteWithApprovalResponses, type UIMessage } from "ai";
import { useState } from "react";
import { createRoot } from "react-dom/client";

const chatId = location.hash.slice(1) || crypto.randomUUID();
if (!location.hash) history.replaceState(null, "", `#${chatId}`);

const transport = new DefaultChatTransport<UIMessage>({ api: "/api/chat" });

interface StoredMessage {
  id: string;
  role: string;
  content: string;
  status: string;
}

/** The stored conversation as UI messages; a reply still being written comes from the resumed stream. */
async function storedMessages(): Promise<UIMessage[]> {
  const res = await fetch(`/api/v1/context/conversations/${chatId}`);
  if (!res.ok) return [];
  const { messages } = (await res.json()) as { messages: StoredMessage[] };
  return messages
    .filter((m) => (m.role === "user" || m.role === "assistant") && m.status !== "streaming" && m.content)
    .map((m) => ({ id: m.id, role: m.role as "user" | "assistant", parts: [{ type: "text", text: m.content }] }));
}

type Answer = (answer: { id: string; approved: boolean }) => void;

function Part({ part, answer }: { part: UIMessage["parts"][number]; answer: Answer }) {
  if (part.type === "text") return <span className="text">{part.text}</span>;
  if (part.type === "dynamic-tool")
    return (
      <div className="tool" data-tool={part.toolName} data-state={part.state}>
        <span className="tool-name">{part.toolName}</span>
        {part.state === "approval-requested" && (
          <>
            <button type="button" onClick={() => answer({ id: part.approval.id, approved: true })}>
              Approve
            </button>
            <button type="button" onClick={() => answer({ id: part.approval.id, approved: false })}>
              Deny
            </button>
          </>
        )}
        <pre className="tool-output">{part.state === "output-available" ? JSON.stringify(part.output) : ""}</pre>
      </div>
    );
  return null;
}

function Chat({ initial }: { initial: UIMessage[] }) {
  const { messages, sendMessage, status, stop, addToolApprovalResponse } = useChat({
    id: chatId,
    messages: initial,
    transport,
    resume: true,
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  });
  const [input, setInput] = useState("");
  const stopReply = () => {
    void stop();
    void fetch("/api/chat/abort", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: chatId }),
    });
  };
  return (
    <main>
      <ol id="messages">
        {messages.map((m) => (
          <li key={m.id} className={`msg ${m.role}`}>
            {m.parts.map((part, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a message's parts only ever grow at the end
              <Part key={i} part={part} answer={(a) => void addToolApprovalResponse(a)} />
            ))}
          </li>
        ))}
      </ol>
      <p id="status">{status}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void sendMessage({ text: input });
          setInput("");
        }}
      >
        <input id="input" aria-label="Message" value={input} onChange={(e) => setInput(e.target.value)} />
        <button type="submit">Send</button>
        <button type="button" onClick={stopReply}>
          Stop
        </button>
      </form>
    </main>
  );
}

const initial = await storedMessages();
createRoot(document.getElementById("root")!).render(<Chat initial={initial} />);
