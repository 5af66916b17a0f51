// The GS2 header and saslname escaping shared by SCRAM (RFC 5802 §5.1, §7) and
// OAUTHBEARER (RFC 7628 §3.1, which reuses the GS2 header).

/** saslname: ',' and '=' would end or confuse an attribute, so they become =2C and =3D. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** 'n' = no channel binding, then the optional authzid: `n,,` or `n,a=<authzid>,`. */
export function gs2Header(authzid: string | undefined): string {
  return authzid ? `n,a=${escapeSaslName(authzid)},` : 'n,,';
}
