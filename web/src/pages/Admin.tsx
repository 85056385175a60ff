import { useState, type FormEvent } from "react";
import { messageOf } from "../api/errors";
import { useAgents, useCreateAgent, useRotateAgentToken } from "../api/queries";
import { useDeleteAgent } from "../api/sessionsApi";
import type { AgentWithToken } from "../api/types";
import { Badge } from "../components/SessionStatus";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, Modal, PageHeader, TextField } from "../components/ui";
import { formErrors } from "../lib/forms";
import { timeAgo } from "../lib/format";
import { showToast } from "../lib/toast";

export function AdminPage() {
  const agents = useAgents();
  const rotate = useRotateAgentToken();
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState<{ id: string; name: string } | null>(null);
  const remove = useDeleteAgent();
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [secret, setSecret] = useState<AgentWithToken | null>(null);

  return (
    <>
      <PageHeader title="Admin">
        <Button onClick={() => setCreating(true)}>Add agent</Button>
      </PageHeader>
      <Card title="Agents">
        <p className="mb-3 text-sm text-slate-700">Machines that run WhatsApp sessions. Each one connects out with its own token.</p>
        {agents.isPending ? (
          <Loading what="agents" />
        ) : agents.isError ? (
          <ErrorState error={agents.error} what="agents" onRetry={() => agents.refetch()} />
        ) : agents.data.length === 0 ? (
          <EmptyState title="No agents yet">Add an agent, then start it on a machine with its token.</EmptyState>
        ) : (
          <div className="relative -mx-4 overflow-x-auto px-4">
            <table className="w-full min-w-[40rem] text-left text-sm">
              <caption className="sr-only">Agents</caption>
              <thead className="border-b border-slate-200 text-xs uppercase text-slate-600">
                <tr>
                  <th scope="col" className="py-2 pr-3">Name</th>
                  <th scope="col" className="py-2 pr-3">State</th>
                  <th scope="col" className="py-2 pr-3">Last heartbeat</th>
                  <th scope="col" className="py-2 pr-3">Version</th>
                  <th scope="col" className="py-2 pr-3">OpenWA</th>
                  <th scope="col" className="py-2 pr-3">Capacity</th>
                  <th scope="col" className="py-2"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {agents.data.map((a) => (
                  <tr key={a.agent_id}>
                    <th scope="row" className="py-2 pr-3 font-medium">
                      {a.name}
                      <span className="block font-mono text-xs font-normal text-slate-500">{a.agent_id}</span>
                    </th>
                    <td className="py-2 pr-3">{a.online ? <Badge tone="ok">Online</Badge> : <Badge tone="muted">Offline</Badge>}</td>
                    <td className="py-2 pr-3">{timeAgo(a.last_heartbeat_at)}</td>
                    <td className="py-2 pr-3">{a.version ?? "—"}</td>
                    <td className="py-2 pr-3">{a.openwa_version ?? "—"}</td>
                    <td className="py-2 pr-3">{a.capacity} sessions</td>
                    <td className="py-2 text-right">
                      <Button aria-label={`Rotate token of ${a.name}`} size="sm" variant="secondary" onClick={() => setRotating({ id: a.agent_id, name: a.name })}>
                        Rotate token
                      </Button>{" "}
                      <Button aria-label={`Delete ${a.name}`} size="sm" variant="secondary" className="text-red-700" onClick={() => setDeleting({ id: a.agent_id, name: a.name })}>
                        Delete
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore query={agents} what="agents" />
      </Card>

      {creating && (
        <CreateAgentModal
          onClose={() => setCreating(false)}
          onCreated={(agent) => {
            setCreating(false);
            setSecret(agent);
          }}
        />
      )}
      {rotating && (
        <ConfirmDialog
          title={`Rotate the token of “${rotating.name}”?`}
          confirmLabel="Rotate token"
          busy={rotate.isPending}
          error={rotate.error}
          onCancel={() => {
            rotate.reset();
            setRotating(null);
          }}
          onConfirm={() =>
            rotate.mutate(rotating.id, {
              onSuccess: (agent) => {
                setRotating(null);
                setSecret(agent);
              },
            })
          }
        >
          The old token stops working at once: the agent disconnects until it is restarted with the new token.
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the agent “${deleting.name}”?`}
          confirmLabel="Delete agent"
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setDeleting(null);
          }}
          onConfirm={() =>
            remove.mutate(deleting.id, {
              onSuccess: () => {
                showToast(`Agent “${deleting.name}” was deleted.`, "success");
                setDeleting(null);
              },
            })
          }
        >
          Its connection is cut now and its token stops working. The numbers it runs go offline and their campaigns
          pause.
        </ConfirmDialog>
      )}
      {secret && <AgentTokenModal agent={secret} onClose={() => setSecret(null)} />}
    </>
  );
}

function CreateAgentModal({ onClose, onCreated }: { onClose: () => void; onCreated: (agent: AgentWithToken) => void }) {
  const [name, setName] = useState("");
  const [capacity, setCapacity] = useState("10");
  const create = useCreateAgent();
  const errors = formErrors(create.error, ["name", "capacity"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), capacity: Number(capacity) }, { onSuccess: onCreated });
  };
  return (
    <Modal title="Add an agent" onClose={onClose}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        <TextField label="Agent name" hint="e.g. the machine it runs on" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} autoFocus />
        <TextField label="Capacity (WhatsApp sessions)" type="number" inputMode="numeric" min={1} max={500} required value={capacity} onChange={(e) => setCapacity(e.target.value)} error={errors.fields.capacity} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create agent
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** The agent's secret, shown once: the API never returns it again. */
export function AgentTokenModal({ agent, onClose }: { agent: AgentWithToken; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(agent.token);
      setCopied("Copied.");
    } catch (error) {
      setCopied(`Could not copy (${messageOf(error)}); select the token and copy it by hand.`);
    }
  };
  return (
    <Modal title={`Token for “${agent.name}”`} onClose={onClose} footer={<Button onClick={onClose}>I have saved it</Button>}>
      <Alert tone="warning">Copy this token now. It is shown only once; if it is lost, rotate it.</Alert>
      <label htmlFor="agent-token" className="mt-4 block text-sm font-medium">
        Agent token
      </label>
      <div className="mt-1 flex gap-2">
        <input id="agent-token" readOnly value={agent.token} onFocus={(e) => e.currentTarget.select()} className="min-w-0 flex-1 rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-xs" data-testid="agent-token" />
        <Button variant="secondary" onClick={() => void copy()}>
          Copy
        </Button>
      </div>
      <p role="status" className="mt-1 text-sm text-slate-600">
        {copied}
      </p>
      <p className="mt-3 text-sm text-slate-700">
        Start the agent with <code className="rounded bg-slate-100 px-1">WACAST_AGENT_TOKEN</code> set to this value.
      </p>
    </Modal>
  );
}
