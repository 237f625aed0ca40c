package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** wrk's script and summary, without wrk: the bench runs it only where it is installed. */
class WrkTest {

  @Test
  void scriptPostsTheBodyByteForByteWithItsHeaders() {
    String lua = Wrk.script(new byte[] {0, 'A', (byte) 0xFF, '"', '7'},
        List.<String[]>of(new String[] {"Inference-Header-Content-Length", "2"}));
    assertTrue(lua.contains("wrk.method = \"POST\"\n"), lua);
    assertTrue(lua.contains("wrk.headers[\"Inference-Header-Content-Length\"] = \"2\"\n"), lua);
    assertTrue(lua.contains("wrk.body = \"\\000\\065\\255\\034\\055\"\n"), lua);
  }

  @Test
  void readsRequestsPerSecondAndCountsErrors() throws IOException {
    String summary = """
        Running 3s test @ http://127.0.0.1:8000/v2/models/m/infer
          2 threads and 64 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     3.10ms    1.20ms  30.00ms   90.00%
          40000 requests in 3.00s, 9.00MB read
          Socket errors: connect 0, read 2, write 0, timeout 1
          Non-2xx or 3xx responses: 5
        Requests/sec:  13333.33
        Transfer/sec:      3.00MB
        """;
    Wrk.Result result = Wrk.parse(summary);
    assertEquals(13333.33, result.requestsPerSecond(), 1e-6);
    assertEquals(8, result.errors());
    assertEquals(0, Wrk.parse("Requests/sec: 10.5\n").errors());
    assertThrows(IOException.class, () -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused"));
  }
}
