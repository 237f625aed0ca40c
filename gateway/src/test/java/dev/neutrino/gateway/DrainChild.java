package dev.neutrino.gateway;

import dev.neutrino.runtime.testing.TestBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The gateway process of {@link DrainProcessTest}: {@code neutrino serve} through {@link Main}, its
 * models on a {@link TestBackend}. It prints {@value #HOLDING} once a run is held, and lets the
 * run go when the line {@value #RELEASE} arrives on standard input: the test's gate across the
 * process boundary.
 */
public final class DrainChild {
  static final String HOLDING = "drain-child: holding";
  static final String RELEASE = "release";

  private DrainChild() {}

  public static void main(String[] args) throws Exception {
    TestBackend backend = new TestBackend();
    Thread gate = new Thread(() -> {
      try {
        if (backend.holding.await(120, TimeUnit.SECONDS)) {
          System.out.println(HOLDING);
          System.out.flush();
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.equals(RELEASE)) {
            backend.release();
          }
        }
      } catch (Exception e) {
        backend.release();
      }
    }, "drain-child-gate");
    gate.setDaemon(true);
    gate.start();
    System.exit(Main.serve(args, config -> Gateway.create(config, backend)));
  }
}
