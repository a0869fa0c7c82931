/**
 * The flag values a command was given (its own and its parents', the nearest one winning), and
 * parsing of flags and arguments with cobra's wording for bad values:
 * `invalid argument "1x" for "--cpu" flag: expected cores such as 0.5 ...`.
 */
import { UsageError, ValueError } from './errors.js';

export type RawValue = string | boolean | readonly string[] | undefined;

const isList = (value: RawValue): value is readonly string[] => Array.isArray(value);

export class Values {
  readonly #raw: ReadonlyMap<string, RawValue>;
  readonly #commandPath: string;

  /** `raw` is keyed by long flag name ("no-follow" as given, booleans as true). */
  constructor(raw: ReadonlyMap<string, RawValue>, commandPath: string) {
    this.#raw = raw;
    this.#commandPath = commandPath;
  }

  get commandPath(): string {
    return this.#commandPath;
  }

  string(long: string): string | undefined {
    const value = this.#raw.get(long);
    if (typeof value === 'string') return value;
    if (isList(value)) return value.at(-1);
    return undefined;
  }

  list(long: string): readonly string[] {
    const value = this.#raw.get(long);
    if (isList(value)) return value;
    return typeof value === 'string' ? [value] : [];
  }

  flag(long: string): boolean {
    return this.#raw.get(long) === true;
  }

  /** The flag's value through `parse`, or undefined when it was not given. */
  parse<T>(long: string, parse: (text: string) => T): T | undefined {
    const text = this.string(long);
    return text === undefined ? undefined : this.#convert(text, `"--${long}" flag`, parse);
  }

  /** An argument through `parse`: `invalid argument "x" for "position": ...`. */
  arg<T>(text: string, name: string, parse: (text: string) => T): T {
    return this.#convert(text, `"${name}"`, parse);
  }

  usageError(message: string): UsageError {
    return new UsageError(message, this.#commandPath);
  }

  #convert<T>(text: string, what: string, parse: (text: string) => T): T {
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof ValueError)
        throw this.usageError(`invalid argument "${text}" for ${what}: ${error.message}`);
      throw error;
    }
  }
}
