package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.RawHttp2;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.gateway.grpc.proto.ServerLiveResponse;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call the client resets at the moment its answer is being written costs that call only: the
 * connection and every other call on it go on.
 *
 * <p>The moment is made exact rather than waited for. Each reset call is a {@code ServerLive}, which
 * the gateway answers as soon as the request's last frame is read; the test sends the request's
 * frames and its RST_STREAM in one write, so the server reads the reset in the same read as the
 * request, after the answer's DATA and trailers were queued and before they are flushed (which is
 * what a client whose deadline passes as its answer completes does, by chance, under load). Calls
 * that are not reset are interleaved with them in the same write.
 */
class GrpcStreamResetTest {
  private static final int CALLS = 100;

  @TempDir Path dir;

  @Test
  void callsResetAsTheirAnswersAreWrittenLeaveTheConnectionAndTheOtherCallsAnswered() throws Exception {
    Gateway gateway = TestGateways.start(dir);
    try (RawHttp2 connection = new RawHttp2(new Socket(gateway.host(), gateway.grpcPort()), true)) {
      ByteArrayOutputStream frames = new ByteArrayOutputStream();
      List<Integer> answered = new ArrayList<>();
      List<Integer> streams = RawHttp2.clientStreams(1, CALLS);
      for (int i = 0; i < CALLS; i++) {
        int stream = streams.get(i);
        serverLive(frames, stream, gateway.host() + ":" + gateway.grpcPort());
        if (i % 2 == 0) {
          RawHttp2.frame(frames, RawHttp2.RST_STREAM, 0, stream, RawHttp2.errorCode(RawHttp2.CANCEL));
        } else {
          answered.add(stream);
        }
      }
      connection.send(frames.toByteArray());
      connection.awaitEnded(answered);

      assertFalse(connection.closed(), "the connection was closed");
      assertFalse(connection.goAway(), "the server sent GOAWAY");
      byte[] live = message(ServerLiveResponse.newBuilder().setLive(true).build().toByteArray());
      for (int stream : answered) {
        assertTrue(connection.ended(stream), "call on stream " + stream + " was not answered");
        assertArrayEquals(live, connection.data(stream), "the answer on stream " + stream);
      }
      // And a call after them is answered on the same connection.
      ByteArrayOutputStream after = new ByteArrayOutputStream();
      int last = 2 * CALLS + 1;
      serverLive(after, last, gateway.host() + ":" + gateway.grpcPort());
      connection.send(after.toByteArray());
      connection.awaitEnded(List.of(last));
      assertArrayEquals(live, connection.data(last), "a later call on the same connection");
    } finally {
      TestGateways.stop(gateway);
    }
  }

  /** A unary ServerLive call on {@code stream}: HEADERS, then its one message in DATA with END_STREAM. */
  private static void serverLive(ByteArrayOutputStream to, int stream, String authority) {
    byte[] headers = RawHttp2.headerBlock(":method", "POST", ":scheme", "http",
        ":path", InferenceService.path("ServerLive"), ":authority", authority,
        "content-type", "application/grpc", "te", "trailers");
    RawHttp2.frame(to, RawHttp2.HEADERS, RawHttp2.END_HEADERS, stream, headers);
    RawHttp2.frame(to, RawHttp2.DATA, RawHttp2.END_STREAM, stream,
        message(ServerLiveRequest.getDefaultInstance().toByteArray()));
  }

  /** A gRPC length-prefixed message: not compressed, a big-endian length, the bytes. */
  private static byte[] message(byte[] bytes) {
    byte[] framed = new byte[5 + bytes.length];
    framed[1] = (byte) (bytes.length >>> 24);
    framed[2] = (byte) (bytes.length >>> 16);
    framed[3] = (byte) (bytes.length >>> 8);
    framed[4] = (byte) bytes.length;
    System.arraycopy(bytes, 0, framed, 5, bytes.length);
    return framed;
  }
}
