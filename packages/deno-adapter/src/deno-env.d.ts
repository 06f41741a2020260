/**
 * The part of Deno's runtime API this adapter uses, declared for `tsc` (the
 * build emits declarations with TypeScript, which has no Deno lib). Deno
 * itself type-checks the same sources against its real declarations when it
 * runs the tests (`deno test` checks every module it loads), so a mismatch
 * here fails there.
 */
declare namespace Deno {
  interface NetAddr {
    transport: 'tcp' | 'udp';
    hostname: string;
    port: number;
  }
  type Addr = NetAddr | { transport: 'unix' | 'unixpacket'; path: string } | { transport: 'vsock'; cid: number; port: number };

  interface Conn<A extends Addr = Addr> extends Disposable {
    readonly localAddr: A;
    readonly remoteAddr: A;
    read(p: Uint8Array): Promise<number | null>;
    write(p: Uint8Array): Promise<number>;
    close(): void;
    closeWrite(): Promise<void>;
    ref(): void;
    unref(): void;
  }
  interface TcpConn extends Conn<NetAddr> {
    setNoDelay(noDelay?: boolean): void;
    setKeepAlive(keepAlive?: boolean): void;
  }
  interface TlsHandshakeInfo {
    alpnProtocol: string | null;
  }
  interface TlsConn extends Conn<NetAddr> {
    handshake(): Promise<TlsHandshakeInfo>;
  }
  interface Listener<T extends Conn = Conn, A extends Addr = Addr> extends AsyncIterable<T>, Disposable {
    accept(): Promise<T>;
    close(): void;
    readonly addr: A;
    ref(): void;
    unref(): void;
  }
  type TcpListener = Listener<TcpConn, NetAddr>;
  type TlsListener = Listener<TlsConn, NetAddr>;

  interface ListenOptions {
    port?: number;
    hostname?: string;
  }
  interface TcpListenOptions extends ListenOptions {
    reusePort?: boolean;
  }
  interface TlsCertifiedKeyPem {
    keyFormat?: 'pem';
    key: string;
    cert: string;
  }
  type ListenTlsOptions = TcpListenOptions & { transport?: 'tcp'; alpnProtocols?: string[] } & TlsCertifiedKeyPem;
  interface ConnectOptions {
    port: number;
    hostname?: string;
    transport?: 'tcp';
    signal?: AbortSignal;
  }
  interface ConnectTlsOptions {
    port: number;
    hostname?: string;
    caCerts?: string[];
    alpnProtocols?: string[];
    unsafelyDisableHostnameVerification?: boolean;
  }

  function listen(options: TcpListenOptions & { transport?: 'tcp' }): TcpListener;
  function listenTls(options: ListenTlsOptions): TlsListener;
  function connect(options: ConnectOptions): Promise<TcpConn>;
  function connectTls(options: ConnectTlsOptions): Promise<TlsConn>;
  interface StartTlsOptions {
    hostname?: string;
    caCerts?: string[];
    alpnProtocols?: string[];
  }
  /** TLS over an open connection (a proxy tunnel). */
  function startTls(conn: TcpConn, options?: StartTlsOptions): Promise<TlsConn>;
  const env: { get(name: string): string | undefined };

  interface UpgradeWebSocketOptions {
    protocol?: string;
    idleTimeout?: number;
  }
  interface WebSocketUpgrade {
    response: Response;
    socket: WebSocket;
  }
  function upgradeWebSocket(request: Request, options?: UpgradeWebSocketOptions): WebSocketUpgrade;

  function unrefTimer(id: number): void;

  const errors: {
    BadResource: new (...args: never[]) => Error;
    Interrupted: new (...args: never[]) => Error;
    ConnectionReset: new (...args: never[]) => Error;
    BrokenPipe: new (...args: never[]) => Error;
    NotConnected: new (...args: never[]) => Error;
    ConnectionAborted: new (...args: never[]) => Error;
  };
}
