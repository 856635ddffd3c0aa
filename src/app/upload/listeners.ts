/** A set of listeners with an `add` that returns its own removal (the UploadClient's on* shape). */
export class Listeners<T> {
  readonly #set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }

  emit(value: T): void {
    for (const l of [...this.#set]) {
      try {
        l(value);
      } catch (err) {
        // One broken UI listener must not starve the others of progress.
        console.error(err);
      }
    }
  }
}
