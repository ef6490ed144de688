import type { ReactNode } from "react";

interface TextFieldProps {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  /** Shown under the field once it matters (touched, or the whole form was checked). */
  messages: string[];
  hint?: string;
  placeholder?: string;
  list?: string;
  multiline?: boolean;
  optional?: boolean;
}

/** A labelled input whose validation messages sit right under it and are announced with it. */
export function TextField(props: TextFieldProps) {
  const { id, messages, hint } = props;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = messages.length > 0 ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    name: id,
    value: props.value,
    placeholder: props.placeholder,
    "aria-invalid": messages.length > 0,
    "aria-describedby": describedBy,
    spellCheck: false,
    autoComplete: "off",
    onBlur: props.onBlur,
  };
  return (
    <div className={`field${messages.length > 0 ? " field-invalid" : ""}`}>
      <label htmlFor={id}>
        {props.label}
        {props.optional && <span className="optional"> (optional)</span>}
      </label>
      {props.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type="text" list={props.list} onChange={(e) => props.onChange(e.target.value)} />
      )}
      {errorId && (
        <ul className="field-error" id={errorId} data-field={id}>
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {hintId && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
