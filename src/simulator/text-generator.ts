import { SeededRandom } from '../common/random';

// A fixed ASCII vocabulary: no JSON escaping is ever needed, so frames are cheap to build.
const VOCABULARY = [
  'amber',
  'anchor',
  'arrow',
  'autumn',
  'beacon',
  'birch',
  'breeze',
  'bridge',
  'canyon',
  'cedar',
  'cinder',
  'cloud',
  'comet',
  'coral',
  'crystal',
  'dawn',
  'delta',
  'dune',
  'echo',
  'ember',
  'falcon',
  'fern',
  'field',
  'flame',
  'forest',
  'frost',
  'garden',
  'glacier',
  'harbor',
  'hollow',
  'island',
  'ivory',
  'jasmine',
  'lantern',
  'lagoon',
  'meadow',
  'meteor',
  'mist',
  'moss',
  'nebula',
  'oasis',
  'ocean',
  'orchid',
  'pebble',
  'pine',
  'prairie',
  'quartz',
  'rain',
  'raven',
  'reef',
  'ridge',
  'river',
  'saffron',
  'shadow',
  'signal',
  'silver',
  'spark',
  'stone',
  'summit',
  'thunder',
  'tide',
  'valley',
  'willow',
  'zephyr',
];

export const DEFAULT_RESPONSE_WORDS = 12;

/** A generated answer: `pieces` are what each stream chunk carries, joined they give `text`. */
export interface GeneratedText {
  pieces: string[];
  text: string;
}

/**
 * Deterministic answer text: the same prompt hash and length always give the same words, so tests
 * can compare a streamed answer with a non-streamed one and across runs. Shorter answers are
 * prefixes of longer ones.
 */
export function generateText(hash: number, words: number, finished = true): GeneratedText {
  const random = new SeededRandom(hash);
  const pieces: string[] = new Array<string>(words);
  for (let i = 0; i < words; i++) {
    let word = VOCABULARY[Math.floor(random.next() * VOCABULARY.length)];
    if (i === 0) word = word.charAt(0).toUpperCase() + word.slice(1);
    // An answer cut by max tokens has no full stop, so it is a prefix of the finished answer.
    if (finished && i === words - 1) word += '.';
    pieces[i] = i === 0 ? word : ' ' + word;
  }
  return { pieces, text: pieces.join('') };
}
