package dev.neutrino.loadtest;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model server on a plain {@link ServerSocket}, one thread per connection, that writes whatever
 * bytes a test scripts: it answers {@code GET /v2/models/m} with the metadata of one FP32 model
 * {@code m} ({@code INPUT0 [-1,4]}) and the first inference call (the client's check) with a proper
 * answer, and every later inference call as {@link Script} says, byte by byte when asked.
 */
final class RawHttpServer implements AutoCloseable {
  static final String METADATA = """
      {"name":"m","versions":["1"],"platform":"test",
       "inputs":[{"name":"INPUT0","datatype":"FP32","shape":[-1,4]}],
       "outputs":[{"name":"OUTPUT0","datatype":"FP32","shape":[-1,4]}]}""";
  static final String OUTPUT = """
      {"model_name":"m","model_version":"1","outputs":[{"name":"OUTPUT0","datatype":"FP32","shape":[1,4],\
      "data":[0,0,0,0]}]}""";

  /** How a scripted inference call is answered. */
  @FunctionalInterface
  interface Script {
    /**
     * Writes the answer to inference call {@code call} (1 for the first after the check).
     *
     * @return whether to keep reading requests on this connection (false: the server closes it)
     */
    boolean answer(int call, OutputStream out) throws IOException;
  }

  private final ServerSocket server;
  private final Script script;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger mostOpen = new AtomicInteger();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;

  RawHttpServer(Script script) throws IOException {
    this.script = script;
    server = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::accept, "raw-http-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  Endpoint endpoint() {
    return Endpoint.http("127.0.0.1", server.getLocalPort());
  }

  /** Inference calls so far, the client's check included. */
  int calls() {
    return calls.get();
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  /** The most connections open at once. */
  int mostOpen() {
    return mostOpen.get();
  }

  /** A complete answer with a length: {@code status}, {@code extraHeaders} (each ending CRLF), {@code body}. */
  static byte[] response(int status, String extraHeaders, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return ("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n"
        + extraHeaders + "\r\n" + body).getBytes(StandardCharsets.UTF_8);
  }

  /** Writes {@code bytes} one at a time, each flushed. */
  static void trickle(OutputStream out, byte[] bytes) throws IOException {
    for (byte b : bytes) {
      out.write(b);
      out.flush();
    }
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        socket.setTcpNoDelay(true);
        accepted.incrementAndGet();
        sockets.add(socket);
        mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        Thread t = new Thread(() -> serve(socket), "raw-http-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null) {
          return;
        }
        int length = 0;
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
          if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(header.substring("content-length:".length()).trim());
          }
        }
        in.readNBytes(length);
        if (requestLine.startsWith("GET /v2/models/m ")) {
          out.write(response(200, "", METADATA));
        } else if (requestLine.startsWith("POST /v2/models/m/infer ")) {
          int call = calls.getAndIncrement();
          if (call == 0) {
            out.write(response(200, "", OUTPUT));
          } else if (!script.answer(call, out)) {
            out.flush();
            return;
          }
        } else {
          out.write(response(404, "", "{\"error\":\"no such endpoint\"}"));
        }
        out.flush();
      }
    } catch (IOException e) {
      // The client went away.
    } finally {
      sockets.remove(socket);
      open.decrementAndGet();
    }
  }

  /** A line without its CR LF; null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        return null;
      }
      bytes.write(b);
    }
    String s = bytes.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
