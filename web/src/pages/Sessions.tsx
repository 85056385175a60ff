import { useCallback, useState, type FormEvent } from "react";
import { ApiError, messageOf } from "../api/errors";
import { useCreateSession, useDeleteSession, useRestartSession, useSessions } from "../api/queries";
import type { Session, StateChange } from "../api/types";
import { QrModal } from "../components/QrModal";
import { SessionStatusBadge, stateInfo } from "../components/SessionStatus";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, Modal, PageHeader, TextField } from "../components/ui";
import { formErrors } from "../lib/forms";
import { formatDateTime, timeAgo } from "../lib/time";
import { showToast } from "../lib/toast";
import { hasApi } from "../lib/features";
import { NumberHealthCard } from "../components/NumberHealth";

const NEEDS_SCAN = new Set(["starting", "qr_ready"]);
/** Deleted numbers stay listed as stopped until their data is purged. */
export const REMOVED = new Set(["stopped", "deleted"]);

export function SessionsPage() {
  const sessions = useSessions();
  const restart = useRestartSession();
  const remove = useDeleteSession();
  const [adding, setAdding] = useState(false);
  const [linking, setLinking] = useState<{ id: string; label: string } | null>(null);
  const [deleting, setDeleting] = useState<Session | null>(null);

  const onRestart = (session: Session) =>
    restart.mutate(session.session_id, {
      onSuccess: () => setLinking({ id: session.session_id, label: session.label }),
      onError: (error) => showToast(`Could not restart “${session.label}”: ${messageOf(error)}`, "error"),
    });

  const onConnected = useCallback(() => {
    setLinking((current) => {
      if (current) showToast(`“${current.label}” is connected.`, "success");
      return null;
    });
    void sessions.refetch();
  }, [sessions]);

  return (
    <>
      <PageHeader title="Numbers">
        <Button onClick={() => setAdding(true)}>Add number</Button>
      </PageHeader>
      {hasApi("/api/sessions/health") && <div className="mb-4"><NumberHealthCard /></div>}
      {sessions.isPending ? (
        <Loading what="your numbers" />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} what="your numbers" onRetry={() => sessions.refetch()} />
      ) : sessions.data.length === 0 ? (
        <EmptyState title="No numbers yet" action={<Button onClick={() => setAdding(true)}>Add your first number</Button>}>
          Link a WhatsApp number by scanning a QR code with the phone. Campaigns are sent from your linked numbers.
        </EmptyState>
      ) : (
        <ul className="flex flex-col gap-3" aria-label="Your numbers">
          {sessions.data.map((s) => (
            <li key={s.session_id}>
              <Card>
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <div className="min-w-0">
                    <h2 className="truncate text-base font-semibold">{s.label}</h2>
                    <p className="text-sm text-slate-600">{s.phone ? `+${s.phone.replace(/^\+/, "")}` : "Not linked yet"}</p>
                  </div>
                  <SessionStatusBadge status={s.status} />
                </div>
                <p className="mt-2 text-sm text-slate-700">
                  {stateInfo(s.status).help}
                  {s.last_error && s.status !== "connected" && (
                    <>
                      {" "}
                      <span className="font-medium">Reason: {s.last_error}</span>
                    </>
                  )}
                </p>
                {REMOVED.has(s.status) ? (
                  <p className="mt-1 text-xs text-slate-500">
                    Removed {timeAgo(s.updated_at)}
                    {s.purge_after ? `; its data is deleted on ${formatDateTime(s.purge_after)}` : ""}.
                  </p>
                ) : (
                  <>
                    <p className="mt-1 text-xs text-slate-500">Updated {timeAgo(s.updated_at)}</p>
                    <SessionHistory history={s.history} />
                    <div className="mt-3 flex flex-wrap gap-2">
                      {NEEDS_SCAN.has(s.status) && (
                        <Button aria-label={`Show QR code for ${s.label}`} size="sm" onClick={() => setLinking({ id: s.session_id, label: s.label })}>
                          Show QR code
                        </Button>
                      )}
                      <Button aria-label={`Restart ${s.label}`} size="sm" variant="secondary" busy={restart.isPending && restart.variables === s.session_id} onClick={() => onRestart(s)}>
                        Restart
                      </Button>
                      <Button aria-label={`Delete ${s.label}`} size="sm" variant="secondary" className="text-red-700" onClick={() => setDeleting(s)}>
                        Delete
                      </Button>
                    </div>
                  </>
                )}
              </Card>
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={sessions} what="numbers" />

      {adding && (
        <AddNumberModal
          onClose={() => setAdding(false)}
          onCreated={(session) => {
            setAdding(false);
            setLinking({ id: session.session_id, label: session.label });
          }}
        />
      )}
      {linking && (
        <QrModal
          sessionId={linking.id}
          label={linking.label}
          onClose={() => setLinking(null)}
          onConnected={onConnected}
          onRestart={() => restart.mutate(linking.id)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.label}”?`}
          confirmLabel="Delete number"
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setDeleting(null);
          }}
          onConfirm={() =>
            remove.mutate(deleting.session_id, {
              onSuccess: () => {
                showToast(`“${deleting.label}” was deleted.`, "success");
                setDeleting(null);
              },
            })
          }
        >
          WhatsApp Web stops for this number now; campaigns can no longer send from it. Its data is removed after 7 days.
        </ConfirmDialog>
      )}
    </>
  );
}

/** The number's state changes, newest first (the list carries them). */
function SessionHistory({ history }: { history: StateChange[] }) {
  if (history.length === 0) return null;
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-slate-700">History</summary>
      <ol className="mt-2 space-y-1 border-l border-slate-200 pl-3">
        {[...history].reverse().map((h, i) => (
          <li key={`${h.at}-${i}`}>
            <span className="font-medium">{stateInfo(h.state).label}</span>{" "}
            <span className="text-slate-500">{formatDateTime(h.at)}</span>
            {h.reason && <span className="text-slate-600"> · {h.reason}</span>}
          </li>
        ))}
      </ol>
    </details>
  );
}

export function AddNumberModal({ onClose, onCreated }: { onClose: () => void; onCreated: (session: Session) => void }) {
  const [label, setLabel] = useState("");
  const create = useCreateSession();
  const errors = formErrors(create.error, ["label"]);
  const noCapacity = create.error instanceof ApiError && create.error.code === "no_capacity";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(label.trim(), { onSuccess: onCreated });
  };
  return (
    <Modal title="Add a number" onClose={onClose}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {noCapacity ? (
          <Alert title="No room for another number right now">{errors.form}</Alert>
        ) : (
          errors.form && <Alert>{errors.form}</Alert>
        )}
        <TextField
          label="Name for this number"
          hint="Only you see it, e.g. “Shop front desk”."
          required
          maxLength={80}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          error={errors.fields.label}
          autoFocus
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Continue
          </Button>
        </div>
      </form>
    </Modal>
  );
}
