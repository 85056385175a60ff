import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { confirmPasswordReset, requestPasswordReset } from "../../api/authApi";
import { Alert, Button, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { AuthLayout } from "./AuthLayout";
import { useI18n } from "../../i18n";

/** Step 1: ask for a reset link by email. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const { t } = useI18n();
  const request = useMutation({
    mutationFn: () => requestPasswordReset(email.trim()),
  });
  const errors = formErrors(request.error, ["email"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate();
  };
  return (
    <AuthLayout title={t("auth.reset.title")} footer={<Link className="text-brand-700 underline" to="/auth/login">{t("auth.backToSignIn")}</Link>}>
      {request.isSuccess ? (
        <Alert tone="success" title={t("auth.checkEmail")}>
          {t("auth.reset.sent", { email })}
        </Alert>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
          <p className="text-sm text-slate-700">{t("auth.reset.intro")}</p>
          {errors.form && <Alert>{errors.form}</Alert>}
          <TextField label={t("auth.email")} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
          <Button type="submit" busy={request.isPending}>
            {t("auth.reset.send")}
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
  const { t } = useI18n();
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const confirm = useMutation({
    mutationFn: () => confirmPasswordReset(token, password),
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
      <AuthLayout title={t("auth.newPassword.title")}>
        <Alert title={t("auth.link.incomplete")}>
          {t("auth.link.again")} <Link className="underline" to="/auth/forgot">{t("auth.link.askNew")}</Link>.
        </Alert>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title={t("auth.newPassword.title")} footer={<Link className="text-brand-700 underline" to="/auth/login">{t("auth.backToSignIn")}</Link>}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {errors.form && (
          <Alert>
            {errors.form} <Link className="underline" to="/auth/forgot">{t("auth.link.askNewLink")}</Link>.
          </Alert>
        )}
        <TextField label={t("auth.newPassword")} type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={errors.fields.password} hint={t("auth.password.hint")} />
        <TextField label={t("auth.repeatPassword")} type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} error={mismatch ? t("auth.mismatch") : undefined} />
        <Button type="submit" busy={confirm.isPending}>
          {t("auth.setPassword")}
        </Button>
      </form>
    </AuthLayout>
  );
}
