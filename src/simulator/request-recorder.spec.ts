import { RequestRecorder } from './request-recorder';

describe(RequestRecorder.name, () => {
  const open = (recorder: RequestRecorder, provider: string, time: number) =>
    recorder.open({
      time,
      provider,
      flavour: 'openai',
      method: 'POST',
      path: '/x',
      query: '',
      headers: {},
      httpVersion: '1.1',
      connection: 1,
    });

  it('keeps the newest records up to its capacity, oldest first', () => {
    const recorder = new RequestRecorder(3);
    for (let i = 1; i <= 5; i++) open(recorder, i % 2 ? 'a' : 'b', i);
    expect(recorder.list().map((r) => r.id)).toEqual([3, 4, 5]);
    expect(recorder.list({ provider: 'a' }).map((r) => r.id)).toEqual([3, 5]);
    expect(recorder.list({ since: 4 }).map((r) => r.time)).toEqual([4, 5]);
    recorder.clear();
    expect(recorder.list()).toEqual([]);
    expect(open(recorder, 'a', 6).id).toBe(6);
  });

  it('returns copies, while the stored record keeps receiving its outcome', () => {
    const recorder = new RequestRecorder();
    const record = open(recorder, 'a', 1);
    const [copy] = recorder.list();
    record.status = 200;
    expect(copy.status).toBeUndefined();
    expect(recorder.list()[0].status).toBe(200);
  });
});
