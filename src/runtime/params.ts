// The parameters every request about a call carries (reference §2.1), built once per call and
// refreshed with the call's status. DIDforSale apps also get DIDML's own names (`callSid`,
// `CallerName`: DIDforSale voice-api-request-params).
import type { InboundCall } from '../telephony/adapter.js';
import { sipHeaderParams } from '../sip/headers.js';

export const API_VERSION = '2010-04-01';

export interface CallIdentity {
  accountSid: string;
  callSid: string;
  call: InboundCall;
  direction: 'inbound' | 'outbound-api' | 'outbound-dial';
}

export function baseParams(id: CallIdentity, callStatus: string, didml: boolean): Record<string, string> {
  const { call } = id;
  const params: Record<string, string> = {
    AccountSid: id.accountSid,
    ApiVersion: API_VERSION,
    CallSid: id.callSid,
    CallStatus: callStatus,
    Called: call.to,
    Caller: call.from,
    Direction: id.direction,
    From: call.from,
    To: call.to,
  };
  if (call.callerName !== undefined) params['CallerName'] = call.callerName;
  // A call is a SIP call when it came with SIP URIs or INVITE headers (a mock call scripted with
  // headers and plain numbers is one too): it gets the Sip* parameters (reference §2.1).
  if (call.fromUri !== undefined || call.toUri !== undefined || Object.keys(call.headers).length > 0) {
    params['SipCallId'] = call.callId;
    if (call.sourceIp !== undefined) params['SipSourceIp'] = call.sourceIp;
    Object.assign(params, sipHeaderParams(call.headers));
  }
  if (didml) {
    params['callSid'] = id.callSid;
    if (params['CallerName'] === undefined) params['CallerName'] = '';
  }
  return params;
}
