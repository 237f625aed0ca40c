package dev.neutrino.runtime.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The flags a command's {@code --help} lists and those a README table documents, so that the modules'
 * tests can check that the two agree (shared through the runtime's test-jar).
 */
public final class FlagTables {
  private static final Pattern OPTION_LINE = Pattern.compile("^\\s+(?:-\\w, )?(--[a-z0-9][a-z0-9-]*)");
  private static final Pattern FLAG = Pattern.compile("--[a-z0-9][a-z0-9-]*");

  private FlagTables() {}

  /** The long options a help text lists, each at the start of its line, less --help and --version. */
  public static Set<String> helpFlags(String help) {
    Set<String> flags = new TreeSet<>();
    for (String line : help.split("\n")) {
      Matcher m = OPTION_LINE.matcher(line);
      if (m.find()) {
        flags.add(m.group(1));
      }
    }
    flags.removeAll(Set.of("--help", "--version"));
    return flags;
  }

  /**
   * The flags in the first column of the table under the heading {@code heading} of {@code readme}.
   *
   * @throws AssertionError when the README has no such heading
   */
  public static Set<String> readmeFlags(Path readme, String heading) throws IOException {
    List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
    int at = lines.indexOf(heading);
    if (at < 0) {
      throw new AssertionError("README.md has no heading '" + heading + "'");
    }
    Set<String> flags = new TreeSet<>();
    boolean inTable = false;
    for (String line : lines.subList(at + 1, lines.size())) {
      if (line.startsWith("|")) {
        inTable = true;
        Matcher m = FLAG.matcher(line.split("\\|")[1]);
        if (m.find()) {
          flags.add(m.group());
        }
      } else if (inTable || line.startsWith("#")) {
        break;
      }
    }
    return flags;
  }

  /** {@link #readmeFlags(Path, String)} of the project's README, seen from a module's folder. */
  public static Set<String> readmeFlags(String heading) throws IOException {
    return readmeFlags(Path.of("..", "README.md"), heading);
  }
}
