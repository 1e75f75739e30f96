package demo;

import java.util.List;
import java.util.stream.Collectors;

/** A fixture app: the JDK only. */
public class Hello {
  public static void main(String[] args) {
    System.out.println("hello from java " + Runtime.version().feature());
    List<String> steps = List.of("compile", "package", "run");
    System.out.println(steps.stream().map(String::toUpperCase).collect(Collectors.joining(" -> ")));
  }
}
