/**
 * An HTTP response as keepalived reads it (check_http.c http_process_response,
 * lib/html.c): the header ends at the first CRLF CRLF; the status is the three digits
 * after the first space; the MD5 covers the bytes after the header exactly as they
 * arrived, up to Content-Length when there is one. Chunked bodies are NOT decoded:
 * keepalived hashes the chunk framing too, and a `digest` made by genhash must match.
 */
import { createHash, type Hash } from "node:crypto";

export interface ResponseHooks {
  /** each read while the header is still incomplete */
  headerPending?(): void;
  /** the header, CRLF CRLF included, once it is complete */
  header?(head: Buffer): void;
  /** body bytes that go into the digest, as they arrive; `first`: they came in the read that completed the header */
  body?(bytes: Buffer, first: boolean): void;
}

export class HttpResponseReader {
  /** the status code, 0 until the header is in (or when it has none keepalived accepts) */
  status = 0;
  /** Content-Length, undefined when the header has none */
  contentLength: number | undefined;
  chunked = false;
  /** body bytes received (hashed or not) */
  received = 0;
  private head: Buffer | undefined;
  private pending: Buffer[] = [];
  private parts: Buffer[] = [];
  private md5: Hash = createHash("md5");
  private tail = Buffer.alloc(0);

  constructor(private readonly hooks: ResponseHooks = {}) {}

  /** has the header been seen (keepalived's req->extracted)? */
  get extracted(): boolean {
    return this.head !== undefined;
  }

  push(chunk: Buffer): void {
    let first = false;
    if (!this.head) {
      this.hooks.headerPending?.();
      this.pending.push(chunk);
      const all = Buffer.concat(this.pending);
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.pending = [];
      this.head = all.subarray(0, end + 4);
      this.parseHead(this.head.toString("latin1"));
      this.hooks.header?.(this.head);
      first = true;
      chunk = all.subarray(end + 4);
      if (chunk.length === 0) return;
    }
    const room = this.contentLength === undefined ? chunk.length : Math.max(0, this.contentLength - this.received);
    const take = chunk.subarray(0, Math.min(room, chunk.length));
    this.received += chunk.length;
    if (take.length > 0) {
      this.md5.update(take);
      this.parts.push(take);
      this.hooks.body?.(take, first);
    }
    if (this.chunked) this.tail = Buffer.concat([this.tail, chunk]).subarray(-5);
  }

  /** Everything the response announced is in: Content-Length reached, or the last chunk seen. */
  complete(): boolean {
    if (!this.head) return false;
    if (this.contentLength !== undefined) return this.received >= this.contentLength;
    return this.chunked && this.tail.equals(Buffer.from("0\r\n\r\n"));
  }

  /** the body bytes that were hashed */
  body(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** hex MD5 of the body (call once, at the end) */
  digest(): string {
    return this.md5.digest("hex");
  }

  /** the raw MD5 bytes, for genhash -v */
  digestBytes(): Buffer {
    return this.md5.digest();
  }

  private parseHead(text: string): void {
    // extract_status_code: "HTTP/x.y NNN " (three digits between spaces)
    const m = /^[^ \r]* (\d{3}) /.exec(text);
    this.status = m ? Number(m[1]) : 0;
    const cl = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(text);
    if (cl) this.contentLength = Number(cl[1]);
    this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(text);
  }
}
