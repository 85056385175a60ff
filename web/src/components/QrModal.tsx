import { useEffect, useRef } from "react";
import { useQr, useRefreshSessionList, useSession } from "../api/queries";
import { messageOf } from "../api/errors";
import { Alert, Button, Modal, Spinner } from "./ui";
import { SessionStatusBadge, startFailureText, stateInfo } from "./SessionStatus";
import { tr } from "../i18n/current";

const WAITING = new Set(["starting", "qr_ready"]);

/**
 * Follows one number from start to connected: polls the session and, while it
 * waits for a scan, its QR (which WhatsApp rotates), and closes itself once
 * the number is connected.
 */
export function QrModal({
  sessionId,
  label,
  onClose,
  onConnected,
  onRestart,
}: {
  sessionId: string;
  label: string;
  onClose: () => void;
  onConnected: () => void;
  onRestart?: () => void;
}) {
  const session = useSession(sessionId, 1500);
  const status = session.data?.status;
  const qr = useQr(sessionId, status === "qr_ready");
  const done = useRef(false);
  const refreshList = useRefreshSessionList();

  // Keep the list behind the modal in step with what the modal shows.
  useEffect(() => {
    if (status) refreshList();
  }, [status, refreshList]);

  useEffect(() => {
    if (status === "connected" && !done.current) {
      done.current = true;
      onConnected();
    }
  }, [status, onConnected]);

  const info = status ? stateInfo(status) : null;
  const reason = (session.data && startFailureText(session.data)) ?? session.data?.last_error;

  return (
    <Modal title={tr("qr.title", { label })} onClose={onClose}>
      <div className="flex flex-col items-center gap-4 text-center" aria-live="polite">
        {session.isError ? (
          <Alert>{messageOf(session.error)}</Alert>
        ) : !status ? (
          <Spinner label={tr("preparing.starting")} />
        ) : (
          <>
            <SessionStatusBadge status={status} />
            {status === "qr_ready" && qr.data ? (
              <>
                <img
                  src={qr.data.data_url}
                  alt={tr("qr.alt")}
                  className="h-64 w-64 max-w-full rounded-md border border-slate-200 bg-white p-2 [image-rendering:pixelated]"
                  data-testid="qr-image"
                />
                <ol className="list-decimal space-y-1 pl-5 text-left text-sm text-slate-700">
                  <li>{tr("qr.step1")}</li>
                  <li>
                    {tr("qr.step2")} <b>{tr("qr.step2.path")}</b>.
                  </li>
                  <li>{tr("qr.step3")}</li>
                </ol>
              </>
            ) : WAITING.has(status) ? (
              <div className="flex h-64 w-64 max-w-full items-center justify-center rounded-md border border-dashed border-slate-300">
                <Spinner label={status === "starting" ? tr("qr.startingWeb") : tr("qr.loading")} />
              </div>
            ) : status === "connected" ? (
              <Alert tone="success">{tr("qr.connected")}</Alert>
            ) : (
              <Alert tone="warning" title={info?.label}>
                <p>{info?.help}</p>
                {reason && <p className="mt-1">{tr("sessions.reason", { reason })}</p>}
              </Alert>
            )}
          </>
        )}
      </div>
      <div className="mt-5 flex flex-wrap justify-end gap-2">
        {status && !WAITING.has(status) && status !== "connected" && onRestart && (
          <Button variant="secondary" onClick={onRestart}>
            {tr("sessions.restart")}
          </Button>
        )}
        <Button variant="secondary" onClick={onClose}>
          {status === "connected" ? tr("ui.close") : tr("qr.later")}
        </Button>
      </div>
    </Modal>
  );
}
