package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.DurationText;
import java.io.PrintStream;
import java.time.Duration;
import picocli.CommandLine;

/**
 * What the autoscaler's three command lines share: one rule for repeats (a flag given twice keeps its
 * last value), named values in any case, durations in the configuration file's notation, help and
 * version on request.
 */
public final class Flags {

  private Flags() {}

  /** The command line of {@code command}, whose fields are its flags. */
  public static CommandLine commandLine(Object command) {
    return new CommandLine(command).setOverwrittenOptionsAllowed(true).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /** Prints the help or the version of the command that {@code parsed} ends in, when it asked for one. */
  public static boolean printedHelp(CommandLine.ParseResult parsed, PrintStream out) {
    CommandLine.ParseResult last = parsed;
    while (last.hasSubcommand()) {
      last = last.subcommand();
    }
    if (last.isUsageHelpRequested()) {
      last.commandSpec().commandLine().usage(out, CommandLine.Help.Ansi.OFF);
      return true;
    }
    if (last.isVersionHelpRequested()) {
      last.commandSpec().commandLine().printVersionHelp(out, CommandLine.Help.Ansi.OFF);
      return true;
    }
    return false;
  }

  /** A duration as the configuration writes it ({@code 250ms}, {@code 30s}, {@code 1h}). */
  public static final class DurationValue implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      try {
        return DurationText.parse(text);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** The version {@code --version} prints: the jar's, or a development build's. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Flags.class.getPackage().getImplementationVersion();
      return new String[] {"neutrino-autoscaler " + (version != null ? version : "(development build)")};
    }
  }
}
