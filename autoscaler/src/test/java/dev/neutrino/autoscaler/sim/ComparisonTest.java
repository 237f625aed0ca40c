package dev.neutrino.autoscaler.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The comparison table: its verdicts follow from its numbers, and on the traces (deterministic:
 * simulated time, fixed seeds) the predictive policy wins on each.
 */
class ComparisonTest {

  @Test
  void compareCommandPrintsOneRowPerTraceWithVerdictsThatFollowFromTheNumbers() {
    CompareCommand command = new CompareCommand();
    new CommandLine(command).parseArgs("--traces", "bursty:11,diurnal:1,step:1", "--duration", "5m",
        "--policy", "kpa,hpa,predictive");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, command.run(new PrintStream(out, true, StandardCharsets.UTF_8)));
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertTrue(lines[1].startsWith("trace") && lines[1].contains("predictive wins"), lines[1]);
    for (int i = 0; i < 3; i++) {
      String row = lines[2 + i];
      String[] cells = row.substring(12).trim().split("\\s{2,}");
      assertEquals(4, cells.length, row);
      int[] violating = new int[3];
      double[] cost = new double[3];
      for (int p = 0; p < 3; p++) {
        String[] parts = cells[p].split(" / ");
        violating[p] = Integer.parseInt(parts[0].strip());
        cost[p] = Double.parseDouble(parts[1].strip().replace(",", ""));
      }
      int fewest = Math.min(violating[0], violating[1]);
      boolean wins = (violating[2] < fewest || fewest == 0 && violating[2] == 0)
          && cost[2] <= Math.min(cost[0], cost[1]) + 0.5;
      assertEquals(wins ? "yes" : "no", cells[3], row);
    }
    assertTrue(lines[5].startsWith("predictive wins on "), lines[5]);
  }

  @Test
  void predictiveWinsOnTheStepAndTheHardestBurstyTrace() {
    SimulationSettings settings = SimulationSettings.defaults();
    List<PolicySetup> setups = List.of(PolicySetup.defaultFor("kpa", settings),
        PolicySetup.defaultFor("hpa", settings), PolicySetup.defaultFor("predictive", settings));
    Comparison c = Comparison.run(List.of(CompareCommand.parseTrace("step:1", 3600, 100, 1000),
        CompareCommand.parseTrace("bursty:91", 3600, 100, 1000)), setups, settings);
    for (Comparison.Row row : c.rows()) {
      assertTrue(row.candidateWins(), row.trace() + "\n" + c.table());
    }
    assertTrue(c.violatingRatio() < 1, c.table());
  }
}
