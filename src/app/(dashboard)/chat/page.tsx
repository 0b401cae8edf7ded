import { ChatView } from "@/components/chat/chat-view";

export default function ChatPage() {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Chat</h1>
      <ChatView />
    </div>
  );
}
