/** A port forward as the engine's schema takes it: "8080:80", "8080:80/udp", "127.0.0.1:8080:80". */
export const PORT_FORWARD = /^(?:((?:\d{1,3}\.){3}\d{1,3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

/** Forwards typed in one field, separated by commas or spaces. */
export const portList = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter(Boolean);
