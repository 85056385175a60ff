import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useParams } from "react-router";
import { ApiError, messageOf } from "../api/errors";
import { useCreateSession, useDeleteSession, useRestartSession, useSessions } from "../api/queries";
import { licenseShopUrl, useRemoveLicense, useSetLicense } from "../api/sessionsApi";
import type { Session, StateChange } from "../api/types";
import { QrModal } from "../components/QrModal";
import { SessionStatusBadge, startFailureText, stateInfo } from "../components/SessionStatus";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, Modal, PageHeader, TextField } from "../components/ui";
import { formErrors } from "../lib/forms";
import { formatDateTime, timeAgo } from "../lib/format";
import { showToast } from "../lib/toast";
import { hasApi } from "../lib/features";
import { NumberHealthCard } from "../components/NumberHealth";
import { tr } from "../i18n";

const NEEDS_SCAN = new Set(["starting", "qr_ready"]);
/** Deleted numbers stay listed as stopped until their data is purged. */
export const REMOVED = new Set(["stopped", "deleted"]);

export function SessionsPage() {
  const sessions = useSessions();
  // /sessions/<id> (where notices link): bring that number into view and open its licence.
  const { sessionId: focusId } = useParams();
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    if (!focusId || !sessions.data || scrolledTo.current === focusId) return;
    scrolledTo.current = focusId; // once: the list polls, and must not pull the page back
    document.getElementById(`number-${focusId}`)?.scrollIntoView?.({ block: "start" });
  }, [focusId, sessions.data]);
  const restart = useRestartSession();
  const remove = useDeleteSession();
  const [adding, setAdding] = useState(false);
  const [linking, setLinking] = useState<{ id: string; label: string } | null>(null);
  const [deleting, setDeleting] = useState<Session | null>(null);

  const onRestart = (session: Session) =>
    restart.mutate(session.session_id, {
      onSuccess: () => setLinking({ id: session.session_id, label: session.label }),
      onError: (error) => showToast(tr("sessions.restartFailed", { label: session.label, message: messageOf(error) }), "error"),
    });

  const onConnected = useCallback(() => {
    setLinking((current) => {
      if (current) showToast(tr("sessions.connected", { label: current.label }), "success");
      return null;
    });
    void sessions.refetch();
  }, [sessions]);

  return (
    <>
      <PageHeader title={tr("nav.numbers")}>
        <Button onClick={() => setAdding(true)}>{tr("sessions.add")}</Button>
      </PageHeader>
      {hasApi("/api/sessions/health") && <div className="mb-4"><NumberHealthCard /></div>}
      {sessions.isPending ? (
        <Loading what={tr("numbers.what")} />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} what={tr("numbers.what")} onRetry={() => sessions.refetch()} />
      ) : sessions.data.length === 0 ? (
        <EmptyState title={tr("sessions.none")} action={<Button onClick={() => setAdding(true)}>{tr("sessions.addFirst")}</Button>}>
          {tr("sessions.none.text")}
        </EmptyState>
      ) : (
        <ul className="flex flex-col gap-3" aria-label={tr("sessions.yours")}>
          {sessions.data.map((s) => (
            <li key={s.session_id} id={`number-${s.session_id}`} className="scroll-mt-20">
              <Card className={focusId === s.session_id ? "ring-2 ring-brand-600" : undefined}>
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <div className="min-w-0">
                    <h2 className="truncate text-base font-semibold">{s.label}</h2>
                    <p className="text-sm text-slate-600">{s.phone ? `+${s.phone.replace(/^\+/, "")}` : tr("sessions.notLinked")}</p>
                  </div>
                  <SessionStatusBadge status={s.status} />
                </div>
                <p className="mt-2 text-sm text-slate-700">
                  {stateInfo(s.status).help}
                  {s.last_error && s.status !== "connected" && !s.status_reason_text && (
                    <>
                      {" "}
                      <span className="font-medium">{tr("sessions.reason", { reason: s.last_error })}</span>
                    </>
                  )}
                </p>
                <StatusReason session={s} />
                {REMOVED.has(s.status) ? (
                  <p className="mt-1 text-xs text-slate-500">
                    {tr("sessions.removed", { when: timeAgo(s.updated_at) })}
                    {s.purge_after ? `; ${tr("sessions.purge", { when: formatDateTime(s.purge_after) })}` : ""}.
                  </p>
                ) : (
                  <>
                    <p className="mt-1 text-xs text-slate-500">{tr("sessions.updated", { when: timeAgo(s.updated_at) })}</p>
                    <LicensePanel session={s} open={focusId === s.session_id} />
                    <SessionHistory history={s.history} />
                    <div className="mt-3 flex flex-wrap gap-2">
                      {NEEDS_SCAN.has(s.status) && (
                        <Button aria-label={tr("sessions.showQrFor", { label: s.label })} size="sm" onClick={() => setLinking({ id: s.session_id, label: s.label })}>
                          {tr("sessions.showQr")}
                        </Button>
                      )}
                      <Button aria-label={tr("sessions.restartFor", { label: s.label })} size="sm" variant="secondary" busy={restart.isPending && restart.variables === s.session_id} onClick={() => onRestart(s)}>
                        {tr("sessions.restart")}
                      </Button>
                      <Button aria-label={tr("sessions.deleteFor", { label: s.label })} size="sm" variant="secondary" className="text-red-700" onClick={() => setDeleting(s)}>
                        {tr("sessions.delete")}
                      </Button>
                    </div>
                  </>
                )}
              </Card>
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={sessions} what={tr("sessions.what")} />

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
          title={tr("sessions.deleteTitle", { label: deleting.label })}
          confirmLabel={tr("sessions.deleteConfirm")}
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setDeleting(null);
          }}
          onConfirm={() =>
            remove.mutate(deleting.session_id, {
              onSuccess: () => {
                showToast(tr("sessions.deleted", { label: deleting.label }), "success");
                setDeleting(null);
              },
            })
          }
        >
          {tr("sessions.deleteText")}
        </ConfirmDialog>
      )}
    </>
  );
}

/** Why a number is failed or restricted, in one sentence (dates in the user's locale). */
function StatusReason({ session: s }: { session: Session }) {
  if (s.status === "restricted") {
    return (
      <Alert tone="warning" title={tr("sessions.restricted")}>
        {s.restricted_until ? tr("sessions.restrictedUntil", { when: formatDateTime(s.restricted_until) }) : tr("sessions.restrictedWhile")}
      </Alert>
    );
  }
  if (s.status === "failed" && s.status_reason_text) {
    return (
      <Alert title={tr("sessions.whyFailed")}>
        {startFailureText(s)}
        {s.last_error && <span className="mt-1 block text-xs text-slate-600">{tr("sessions.details", { details: s.last_error })}</span>}
      </Alert>
    );
  }
  return null;
}

/** The number's own OpenWA licence key: write-only, shown by its last four characters. */
function LicensePanel({ session: s, open }: { session: Session; open: boolean }) {
  const [editing, setEditing] = useState(false);
  const [key, setKey] = useState("");
  const save = useSetLicense();
  const remove = useRemoveLicense();
  const errors = formErrors(save.error, ["license_key"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { id: s.session_id, key: key.trim() },
      {
        onSuccess: () => {
          setKey("");
          setEditing(false);
          showToast(tr("licence.saved", { label: s.label }), "success");
        },
      },
    );
  };
  const onRemove = () =>
    remove.mutate(s.session_id, {
      onSuccess: () => showToast(tr("licence.removed", { label: s.label }), "success"),
      onError: (error) => showToast(tr("licence.removeFailed", { message: messageOf(error) }), "error"),
    });
  return (
    <details className="mt-2 text-sm" open={open || undefined} data-testid="license-panel">
      <summary className="cursor-pointer text-slate-700">
        {tr("licence.summary")}{" "}
        <span className="font-medium">{s.license.set ? tr("licence.set", { masked: s.license.masked ?? "" }) : tr("licence.none")}</span>
      </summary>
      <div className="mt-2 flex flex-col gap-3 rounded-md bg-slate-50 p-3">
        <p className="text-slate-700">
          {tr("licence.intro")}{" "}
          <a className="break-all font-medium text-brand-700 underline" href={licenseShopUrl(s.phone)} target="_blank" rel="noreferrer">
            {licenseShopUrl(s.phone)}
          </a>{" "}
          {tr("licence.intro.end")}
        </p>
        {s.license.set && !editing && (
          <p className="text-slate-700">
            {tr("licence.endingIn")} <span className="font-mono">{s.license.masked?.replace(/^•+/, "")}</span>
            {s.license.updated_at ? `, ${tr("licence.savedAt", { when: formatDateTime(s.license.updated_at) })}` : ""}. {tr("licence.never")}
          </p>
        )}
        {editing || !s.license.set ? (
          <form onSubmit={submit} className="flex flex-col gap-2" noValidate>
            {errors.form && <Alert>{errors.form}</Alert>}
            <TextField
              label={s.license.set ? tr("licence.new") : tr("licence.key")}
              hint={tr("licence.key.hint")}
              autoComplete="off"
              spellCheck={false}
              maxLength={200}
              value={key}
              onChange={(e) => setKey(e.target.value)}
              error={errors.fields.license_key}
            />
            <div className="flex flex-wrap gap-2">
              <Button type="submit" size="sm" busy={save.isPending} disabled={!key.trim()}>
                {tr("licence.save")}
              </Button>
              {editing && (
                <Button size="sm" variant="secondary" onClick={() => setEditing(false)}>
                  {tr("ui.cancel")}
                </Button>
              )}
            </div>
          </form>
        ) : (
          <div className="flex flex-wrap gap-2">
            <Button size="sm" variant="secondary" onClick={() => setEditing(true)}>
              {tr("licence.replace")}
            </Button>
            <Button size="sm" variant="secondary" className="text-red-700" busy={remove.isPending} onClick={onRemove}>
              {tr("licence.remove")}
            </Button>
          </div>
        )}
      </div>
    </details>
  );
}

/** The number's state changes, newest first (the list carries them). */
function SessionHistory({ history }: { history: StateChange[] }) {
  if (history.length === 0) return null;
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-slate-700">{tr("sessions.history")}</summary>
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
    <Modal title={tr("sessions.addTitle")} onClose={onClose}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {noCapacity ? (
          <Alert title={tr("sessions.noCapacity")}>{errors.form}</Alert>
        ) : (
          errors.form && <Alert>{errors.form}</Alert>
        )}
        <TextField
          label={tr("sessions.label")}
          hint={tr("sessions.label.hint")}
          required
          maxLength={80}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          error={errors.fields.label}
          autoFocus
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            {tr("ui.cancel")}
          </Button>
          <Button type="submit" busy={create.isPending}>
            {tr("sessions.continue")}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
