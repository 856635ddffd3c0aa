// Placeholder entry; the recording app replaces it.
document.body.append(Object.assign(document.createElement('p'), { textContent: 'Outbox Recorder' }));
