import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { Alert, Button, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { AuthLayout } from "./AuthLayout";

/** Step 1: ask for a reset link by email. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const request = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/password-reset", { body: { email: email.trim() } })),
  });
  const errors = formErrors(request.error, ["email"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate();
  };
  return (
    <AuthLayout title="Reset your password" footer={<Link className="text-brand-700 underline" to="/auth/login">Back to sign in</Link>}>
      {request.isSuccess ? (
        <Alert tone="success" title="Check your email">
          If an account exists for {email}, we have sent it a link to choose a new password.
        </Alert>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
          <p className="text-sm text-slate-700">Enter your email and we will send you a link to choose a new password.</p>
          {errors.form && <Alert>{errors.form}</Alert>}
          <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
          <Button type="submit" busy={request.isPending}>
            Send reset link
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}

/** Step 2: the emailed link, /auth/reset?token=…, sets the new password. */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const confirm = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/password-reset/confirm", { body: { token, password } })),
    onSuccess: () => navigate("/auth/login?reset=1", { replace: true }),
  });
  const errors = formErrors(confirm.error, ["password"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== again) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    confirm.mutate();
  };

  if (!token) {
    return (
      <AuthLayout title="Choose a new password">
        <Alert title="This link is incomplete.">
          Open the link from the email again, or <Link className="underline" to="/auth/forgot">ask for a new one</Link>.
        </Alert>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Choose a new password" footer={<Link className="text-brand-700 underline" to="/auth/login">Back to sign in</Link>}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {errors.form && (
          <Alert>
            {errors.form} <Link className="underline" to="/auth/forgot">Ask for a new link</Link>.
          </Alert>
        )}
        <TextField label="New password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={errors.fields.password} hint="At least 10 characters; not a common password." />
        <TextField label="Repeat the new password" type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} error={mismatch ? "The two passwords differ." : undefined} />
        <Button type="submit" busy={confirm.isPending}>
          Set new password
        </Button>
      </form>
    </AuthLayout>
  );
}
