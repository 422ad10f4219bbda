// Which headers of a <Sip> URI's `?header=value` part go onto the outbound INVITE.
// Twilio <Sip> doc: "Any headers starting with the x- prefix can be sent this way", plus
// User-to-User, Remote-Party-ID, P-Preferred-Identity and P-Called-Party-ID (reference §5).
// <Refer><Sip>: "Any allowable SIP header can be passed in the URI".

export const PASSED_WITHOUT_X = new Set(['user-to-user', 'remote-party-id', 'p-preferred-identity', 'p-called-party-id']);

export function isPassedThrough(name: string): boolean {
  return /^x-/i.test(name) || PASSED_WITHOUT_X.has(name.toLowerCase());
}

/**
 * The headers of an inbound INVITE as the app sees them: `SipHeader_<name>` for each X- header
 * and User-to-User (Twilio: "SipHeader_X-Customer-Id"; UUI arrives as SipHeader_User-to-User).
 */
export function sipHeaderParams(headers: Record<string, string>, prefix = 'SipHeader_'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (isPassedThrough(name)) out[`${prefix}${name}`] = value;
  }
  return out;
}
