const el = <div className="a &amp; b" id={id} {...props} data-x='1' disabled>
  text &lt; {value} {/* comment */}
  <Child onClick={() => handle(id)} render={<Inner />} />
  <>{list.map((x) => <li key={x}>{x}</li>)}</>
  <ns:tag a:b="c" />
  <a.b.C />
</div>;
