import { useId, useState } from "react";
import type { DevUser, PageConfig } from "../lib/api-types.ts";
import { AccountCard } from "./account-card.tsx";

interface SignInStepProps {
  config: PageConfig;
  title: string;
  /** The signed-in account, once there is one. */
  account:
    | { userId: string; name: string | undefined; email: string | undefined; verified: boolean | undefined }
    | undefined;
  /** Users the dev login may offer here (the primary is not offered as its own secondary). */
  choices: DevUser[];
  buttonLabel: string;
  disabled?: boolean;
  busy: boolean;
  onSignIn: (userId: string | undefined) => void;
  onSignOut: () => void;
}

/**
 * One sign-in: with the emulator, pick a seeded user (its dev login stands in for Universal Login); with a real
 * tenant, the button goes to Universal Login.
 */
export function SignInStep(props: SignInStepProps) {
  const { config, account, choices } = props;
  const selectId = useId();
  const [picked, setPicked] = useState("");
  const choice = choices.some((c) => c.user_id === picked) ? picked : (choices[0]?.user_id ?? "");
  if (account) {
    return (
      <div className="step-body">
        <AccountCard
          label={props.title}
          userId={account.userId}
          name={account.name}
          email={account.email}
          emailVerified={account.verified}
        />
        <button type="button" className="button button-quiet" onClick={props.onSignOut}>
          Sign out
        </button>
      </div>
    );
  }
  if (config.mode === "tenant") {
    return (
      <div className="step-body">
        <button
          type="button"
          className="button"
          disabled={props.disabled || props.busy}
          onClick={() => props.onSignIn(undefined)}
        >
          {props.buttonLabel}
        </button>
      </div>
    );
  }
  return (
    <form
      className="step-body sign-in"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSignIn(choice);
      }}
    >
      <div className="field">
        <label htmlFor={selectId}>{props.title}: a seeded user</label>
        <select
          id={selectId}
          value={choice}
          disabled={props.disabled}
          onChange={(e) => setPicked(e.target.value)}
        >
          {choices.map((u) => (
            <option key={u.user_id} value={u.user_id}>
              {u.name ?? u.user_id} — {u.user_id}
              {u.email_verified ? "" : " (email not verified)"}
            </option>
          ))}
        </select>
        <p className="field-hint">The emulator's dev login stands in for Universal Login.</p>
      </div>
      <button type="submit" className="button" disabled={props.disabled || props.busy || choice === ""}>
        {props.buttonLabel}
      </button>
    </form>
  );
}
