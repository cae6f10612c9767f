/** The `seal` command line contract (foundation issue §4). Kept in one place: --help prints it. */
export const USAGE = `seal: electronic seals and signatures for PDF, JSON, GB/T 38540 and OFD

Usage:
  seal pdf sign IN.pdf -o OUT.pdf KEY [--chain PEM]... [--level B-B|B-T|B-LT|B-LTA] [--tsa URL]
       [--visible --page N --rect x,y,w,h --image FILE [--qr URL]] [--certify 1|2|3] [--field NAME]
       [--reason T] [--location T]
  seal pdf sign IN.pdf -o OUT.pdf --server URL --api-key KEY --seal ID [--level B-B|B-T|B-LT|B-LTA]
       [--visible --page N --rect x,y,w,h [--qr auto]] [--certify 1|2|3] [--reason T] [--location T]
  seal pdf extend IN.pdf -o OUT.pdf --level B-LT|B-LTA [--tsa URL] [--crl FILE]...
  seal pdf verify IN.pdf [--trust PEM]... [--crl FILE]... [--at ISO-8601] [--json]
  seal json sign IN.json -o OUT KEY [--chain PEM]... [--format compact|json] [--detached]
       [--canonical] [--tsa URL]
  seal json sign IN.json -o OUT --server URL --api-key KEY --seal ID [--format compact|json]
       [--detached] [--canonical]
  seal json verify IN [--payload FILE] [--trust PEM]... [--crl FILE]... [--at ISO-8601] [--json]
  seal ses verify FILE [--trust PEM]... [--json]       (GB/T 38540 seal or signature)
  seal ofd verify FILE.ofd [--trust PEM]... [--json]
  seal serve [--port N] [--db FILE]
  seal registry <bootstrap-admin|agencies|seals|history|verify-log|backup|restore> ...
  seal batch DIR -o OUTDIR --seal ID --server URL --api-key KEY

KEY is  --p12 FILE --password PW   or   --cert PEM --key PEM [--key-password PW]

More options (beyond the contract above):
  pdf sign     --subfilter ETSI.CAdES.detached|adbe.pkcs7.detached  --hash SHA-256|SHA-384|SHA-512
               --rsa-pss   --crl FILE --trust PEM --offline (revocation data for B-LT/B-LTA)
  pdf extend   --trust PEM --chain PEM --offline
  pdf verify   --offline (never fetch CRL/OCSP)  --soft-revocation (missing revocation data is no fault)
  json sign    --alg RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384  --co-seal JWS
  json verify  --offline
  ses verify   --crl FILE --at ISO-8601 --data FILE (the signed document, for a signature)
  ofd verify   --crl FILE --at ISO-8601 --signer-cert PEM (for bare SM2 signatures)
  serve        --host H --data-dir DIR --base-url URL --threads N --quiet
  batch        --concurrency N --json

Exit codes (verify): 0 every signature TOTAL_PASSED, 1 any TOTAL_FAILED, 2 INDETERMINATE,
3 no signature found. Every command: 64 usage error, 65 unreadable or malformed input.
Trust anchors come only from --trust: with none, a good signature is INDETERMINATE.
`;
