import { AccountCard } from "./account-card.tsx";

interface SignInStepProps {
  title: string;
  /** The signed-in account, once there is one. */
  account:
    | { userId: string; name: string | undefined; email: string | undefined; verified: boolean | undefined }
    | undefined;
  buttonLabel: string;
  /** The sign-in button's id (the primary's: the page's first script answers its clicks, see page-start.ts). */
  buttonId?: string;
  disabled?: boolean;
  busy: boolean;
  onSignIn: () => void;
  signOutLabel: string;
  onSignOut: () => void;
}

/**
 * One sign-in through Universal Login (Auth0's, or the emulator's own login page): the same button for the
 * emulator and a real tenant.
 */
export function SignInStep(props: SignInStepProps) {
  const { account } = props;

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
        <button type="button" className="button button-quiet" disabled={props.busy} onClick={props.onSignOut}>
          {props.signOutLabel}
        </button>
      </div>
    );
  }
  return (
    <div className="step-body">
      <button
        type="button"
        className="button"
        id={props.buttonId}
        disabled={props.disabled || props.busy}
        onClick={props.onSignIn}
      >
        {props.buttonLabel}
      </button>
    </div>
  );
}
