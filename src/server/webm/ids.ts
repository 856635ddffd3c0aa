/** Matroska element IDs used here (RFC 9559 §5.1; WebM is its subset). */
export const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
  Void: 0xec,
  Crc32: 0xbf,
} as const;

/** Level-1 children of a Segment: an unknown-size Cluster ends where one of these begins. */
export const SEGMENT_CHILDREN: ReadonlySet<number> = new Set([
  ID.SeekHead, ID.Info, ID.Tracks, ID.Cluster, ID.Cues, ID.Tags, ID.Chapters, ID.Attachments, ID.Void, ID.Crc32,
]);

/** Children of a Cluster (RFC 9559 §5.1.3): Timestamp, SilentTracks, Position, PrevSize, SimpleBlock, BlockGroup, EncryptedBlock. */
export const CLUSTER_CHILDREN: ReadonlySet<number> = new Set([
  ID.Timestamp, 0x5854, 0xa7, 0xab, ID.SimpleBlock, ID.BlockGroup, 0xaf, ID.Void, ID.Crc32,
]);
