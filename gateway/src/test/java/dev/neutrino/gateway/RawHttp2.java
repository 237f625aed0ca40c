package dev.neutrino.gateway;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 frames written and read by hand over a socket (RFC 9113), for the tests that need frames in
 * an exact order and in one write, which no client library lets a test choose: requests and their
 * resets in the same read of the server, an upgraded connection's first frames. Request headers are
 * HPACK literals without indexing or Huffman coding; response headers are only counted, never
 * decoded. A reader thread takes the server's frames as they come, acknowledges its SETTINGS and
 * records DATA, END_STREAM, RST_STREAM, GOAWAY and the connection's end. Public for the tests of the
 * front-end packages.
 */
public final class RawHttp2 implements AutoCloseable {
  public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  public static final int DATA = 0;
  public static final int HEADERS = 1;
  public static final int RST_STREAM = 3;
  public static final int SETTINGS = 4;
  public static final int PING = 6;
  public static final int GOAWAY = 7;
  public static final int END_STREAM = 0x1;
  public static final int ACK = 0x1;
  public static final int END_HEADERS = 0x4;
  public static final int CANCEL = 0x8;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Thread reader;
  /** Bytes of DATA received, per stream. */
  private final Map<Integer, ByteArrayOutputStream> data = new ConcurrentHashMap<>();
  /** Streams the server ended (END_STREAM on DATA or HEADERS). */
  private final List<Integer> ended = new CopyOnWriteArrayList<>();
  /** Streams the server reset. */
  private final List<Integer> reset = new CopyOnWriteArrayList<>();
  /** Streams on which the server sent HEADERS. */
  private final List<Integer> headers = new CopyOnWriteArrayList<>();
  private volatile boolean goAway;
  private volatile boolean closed;

  /**
   * Takes over {@code socket}, whose server speaks HTTP/2 from its next byte: after the preface (sent
   * here when {@code sendPreface}) or after a 101 answer already read.
   */
  public RawHttp2(Socket socket, boolean sendPreface) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    if (sendPreface) {
      ByteArrayOutputStream start = new ByteArrayOutputStream();
      start.write(PREFACE);
      frame(start, SETTINGS, 0, 0, new byte[0]);
      send(start.toByteArray());
    }
    reader = new Thread(this::read, "raw-http2-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Writes {@code bytes} in one write: the server most likely reads them in one read. */
  public synchronized void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Appends one frame to {@code to}. */
  public static void frame(ByteArrayOutputStream to, int type, int flags, int stream, byte[] payload) {
    to.write(payload.length >>> 16);
    to.write(payload.length >>> 8);
    to.write(payload.length);
    to.write(type);
    to.write(flags);
    to.write(stream >>> 24 & 0x7F);
    to.write(stream >>> 16);
    to.write(stream >>> 8);
    to.write(stream);
    to.write(payload, 0, payload.length);
  }

  /** A HEADERS frame's block: each name and value (names lower case) as a literal without indexing. */
  public static byte[] headerBlock(String... namesAndValues) {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      block.write(0); // literal header field without indexing, new name
      string(block, namesAndValues[i]);
      string(block, namesAndValues[i + 1]);
    }
    return block.toByteArray();
  }

  private static void string(ByteArrayOutputStream to, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
    integer(to, bytes.length, 7); // not Huffman coded
    to.write(bytes, 0, bytes.length);
  }

  /** An HPACK integer with an {@code prefixBits}-bit prefix (RFC 7541, 5.1), the prefix's other bits 0. */
  private static void integer(ByteArrayOutputStream to, int value, int prefixBits) {
    int max = (1 << prefixBits) - 1;
    if (value < max) {
      to.write(value);
      return;
    }
    to.write(max);
    value -= max;
    while (value >= 128) {
      to.write(value % 128 + 128);
      value /= 128;
    }
    to.write(value);
  }

  /** A four-byte big-endian value, the payload of RST_STREAM. */
  public static byte[] errorCode(int code) {
    return new byte[] {(byte) (code >>> 24), (byte) (code >>> 16), (byte) (code >>> 8), (byte) code};
  }

  /** The DATA the server sent on {@code stream} so far. */
  public byte[] data(int stream) {
    ByteArrayOutputStream bytes = data.get(stream);
    return bytes == null ? new byte[0] : bytes.toByteArray();
  }

  public boolean ended(int stream) {
    return ended.contains(stream);
  }

  public boolean wasReset(int stream) {
    return reset.contains(stream);
  }

  public boolean sentHeaders(int stream) {
    return headers.contains(stream);
  }

  /** Whether the server sent GOAWAY. */
  public boolean goAway() {
    return goAway;
  }

  /** Whether the server closed the connection. */
  public boolean closed() {
    return closed;
  }

  /** Waits, bounded, until the server has ended every one of {@code streams}, or the connection ended. */
  public void awaitEnded(List<Integer> streams) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!ended.containsAll(streams) && !closed && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  private void read() {
    try {
      while (true) {
        int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7FFFFFFF;
        byte[] payload = new byte[length];
        in.readFully(payload);
        switch (type) {
          case DATA -> data.computeIfAbsent(stream, s -> new ByteArrayOutputStream()).write(payload, 0, length);
          case HEADERS -> headers.add(stream);
          case RST_STREAM -> reset.add(stream);
          case GOAWAY -> goAway = true;
          case SETTINGS -> {
            if ((flags & ACK) == 0) {
              ByteArrayOutputStream ack = new ByteArrayOutputStream();
              frame(ack, SETTINGS, ACK, 0, new byte[0]);
              send(ack.toByteArray());
            }
          }
          case PING -> {
            if ((flags & ACK) == 0) {
              ByteArrayOutputStream pong = new ByteArrayOutputStream();
              frame(pong, PING, ACK, 0, payload);
              send(pong.toByteArray());
            }
          }
          default -> { }
        }
        if ((type == DATA || type == HEADERS) && (flags & END_STREAM) != 0) {
          ended.add(stream);
        }
      }
    } catch (EOFException | SocketException end) {
      closed = true;
    } catch (IOException e) {
      closed = true;
    }
  }

  /** Every stream id from {@code first} on, odd (client streams), {@code count} of them. */
  public static List<Integer> clientStreams(int first, int count) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(first + 2 * i);
    }
    return ids;
  }

  @Override
  public void close() throws IOException {
    socket.close();
    try {
      reader.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
