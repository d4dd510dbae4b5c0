import t from 'tap';
import { GuestConsoleWriter } from '../../src/cli/guest-output.ts';

function screen() {
  let text = '';
  const w = new GuestConsoleWriter((b) => (text += Buffer.from(b).toString('latin1')));
  const say = (guest: string, s: string) => w.add(guest, Buffer.from(s, 'latin1'));
  return { w, say, text: () => text };
}

t.test('each line gets its guest\'s prefix; a line is shown before it ends', async (t) => {
  const s = screen();
  s.say('work', 'ready\nwork> ');
  t.equal(s.text(), '[work] ready\n[work] work> ', 'the prompt shows at once');
  s.say('work', 'status\nok\n');
  t.equal(s.text(), '[work] ready\n[work] work> status\n[work] ok\n');
});

t.test('another guest in the middle of a line ends it; the line goes on, prefixed again', async (t) => {
  const s = screen();
  s.say('work', 'work> ');
  s.say('home', 'home> ');
  s.say('work', 'apps\ncustomers\n');
  t.equal(s.text(), '[work] work> \n[home] home> \n[work] apps\n[work] customers\n');
});

t.test('the newline that ends a broken line is not shown again as an empty line', async (t) => {
  const s = screen();
  s.say('home', 'home> ');
  s.say('work', 'busy\n');
  s.say('home', '\n[foreground]\nhome> ');
  t.equal(s.text(), '[home] home> \n[work] busy\n[home] [foreground]\n[home] home> ');
  s.say('home', '\n');
  t.equal(s.text(), '[home] home> \n[work] busy\n[home] [foreground]\n[home] home> \n', 'a line ended by its own guest keeps its newline');
});

t.test('endLine before a report: only an open line is ended', async (t) => {
  const s = screen();
  s.w.endLine();
  t.equal(s.text(), '');
  s.say('work', 'work> ');
  s.w.endLine();
  t.equal(s.text(), '[work] work> \n');
});
