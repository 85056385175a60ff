import { useEffect, useRef } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { keys, useQr, useSession } from "../api/queries";
import { messageOf } from "../api/errors";
import { Alert, Button, Modal, Spinner } from "./ui";
import { SessionStatusBadge, stateInfo } from "./SessionStatus";

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
  const qc = useQueryClient();

  // Keep the list behind the modal in step with what the modal shows.
  useEffect(() => {
    if (status) void qc.invalidateQueries({ queryKey: keys.sessions, exact: true });
  }, [status, qc]);

  useEffect(() => {
    if (status === "connected" && !done.current) {
      done.current = true;
      onConnected();
    }
  }, [status, onConnected]);

  const info = status ? stateInfo(status) : null;
  const reason = session.data?.status_reason_text ?? session.data?.last_error;

  return (
    <Modal title={`Link “${label}”`} onClose={onClose}>
      <div className="flex flex-col items-center gap-4 text-center" aria-live="polite">
        {session.isError ? (
          <Alert>{messageOf(session.error)}</Alert>
        ) : !status ? (
          <Spinner label="Starting…" />
        ) : (
          <>
            <SessionStatusBadge status={status} />
            {status === "qr_ready" && qr.data ? (
              <>
                <img
                  src={qr.data.data_url}
                  alt="QR code to scan with WhatsApp"
                  className="h-64 w-64 max-w-full rounded-md border border-slate-200 bg-white p-2 [image-rendering:pixelated]"
                  data-testid="qr-image"
                />
                <ol className="list-decimal space-y-1 pl-5 text-left text-sm text-slate-700">
                  <li>Open WhatsApp on the phone that owns this number.</li>
                  <li>
                    Go to <b>Settings → Linked devices → Link a device</b>.
                  </li>
                  <li>Point the phone at this code. It refreshes by itself.</li>
                </ol>
              </>
            ) : WAITING.has(status) ? (
              <div className="flex h-64 w-64 max-w-full items-center justify-center rounded-md border border-dashed border-slate-300">
                <Spinner label={status === "starting" ? "Starting WhatsApp Web…" : "Loading the QR code…"} />
              </div>
            ) : status === "connected" ? (
              <Alert tone="success">Connected.</Alert>
            ) : (
              <Alert tone="warning" title={info?.label}>
                <p>{info?.help}</p>
                {reason && <p className="mt-1">Reason: {reason}</p>}
              </Alert>
            )}
          </>
        )}
      </div>
      <div className="mt-5 flex flex-wrap justify-end gap-2">
        {status && !WAITING.has(status) && status !== "connected" && onRestart && (
          <Button variant="secondary" onClick={onRestart}>
            Restart
          </Button>
        )}
        <Button variant="secondary" onClick={onClose}>
          {status === "connected" ? "Close" : "Finish later"}
        </Button>
      </div>
    </Modal>
  );
}
